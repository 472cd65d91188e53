for policy in on_success always never; do
    sed "s/POLICY/$policy/" "$CASE_DIR/flow.yaml" > flow-$policy.yaml
    build flow-$policy.yaml ./flow-$policy
    run ./flow-$policy --run-id $policy --keep-going
    expect_rc 1
    ok_dir=work/cleanup/ok/$policy bad_dir=work/cleanup/bad/$policy
    case $policy in
        on_success) expect_no_file $ok_dir; expect_file $bad_dir/artifacts/f ;;
        always) expect_no_file $ok_dir; expect_no_file $bad_dir ;;
        never) expect_file $ok_dir/artifacts/f; expect_file $bad_dir/artifacts/f ;;
    esac
done
