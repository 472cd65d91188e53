#!/bin/sh
echo "script ran in $PWD" > script.out
