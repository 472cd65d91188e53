/*
 * af_sftp.h - the `sftp` connector kind: what an SFTP driver provides.
 *
 * Drivers of kind "sftp" point af_driver.ops at an af_sftp_ops table (the
 * remote primitives of af_remote.h). Built in: `libssh2` (aliases
 * `paramiko`, `sftp-moveit`) and `local` (a directory stands in for the
 * server, for demos).
 *
 * Paths are POSIX paths on the server: absolute ("/in/a.zip") or relative
 * to the login directory. list() joins a directory and a name with one '/'
 * ("/in" + "a.zip" -> "/in/a.zip", "/" + "a" -> "/a").
 *
 * Config of the libssh2 driver (afc-transfer(7) has the details):
 *   host (required), port (22), user (required), password, pkey_path
 *   (RSA, ECDSA or ed25519 private key, PEM or OpenSSH format), passphrase,
 *   known_hosts (file to verify the host key against), host_key_sha256
 *   (pinned key fingerprint, "SHA256:<base64>" as ssh-keygen -l prints it,
 *   or 64 hex digits), timeout (seconds, also accepted under options).
 */
#ifndef AF_SFTP_H
#define AF_SFTP_H

#include "af_remote.h"

typedef af_remote_ops af_sftp_ops;

#endif /* AF_SFTP_H */
