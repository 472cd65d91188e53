/*
 * af_smb.h - the `smb` connector kind: what an SMB driver provides.
 *
 * Drivers of kind "smb" point af_driver.ops at an af_smb_ops table (the
 * remote primitives of af_remote.h). Built in: `libsmbclient` (aliases
 * `smbclient`, `pysmb`, `smb-pysmb`; SMB2 and SMB3 only) and `local` (a
 * directory stands in for the server, for demos).
 *
 * Every primitive accepts the path forms of the reference implementation:
 *   dir/file.txt             relative to the root of config.share
 *   /dir/file.txt, \dir\f    the same, leading separators ignored
 *   \\server\share\dir\f     UNC: server and share taken from the path
 *   SHARE:/dir/f, SHARE:\f   another share of config.server (names of two
 *                            or more characters from [A-Za-z0-9_.-])
 *   C:\dir\f, C:/dir/f       drive letter dropped, config.share used
 * A path that names no share while config.share is unset is an error.
 * list() joins a directory and a name keeping the directory's form:
 * "SHARE:/in" -> "SHARE:/in/a", "\\srv\s\in" -> "\\srv\s\in\a", otherwise
 * with '/' ("C:\in" -> "C:/in/a").
 *
 * Config of the libsmbclient driver: server (required), share, username
 * (or user), password, domain (workgroup), port (445), timeout (seconds,
 * also accepted under options).
 */
#ifndef AF_SMB_H
#define AF_SMB_H

#include "af_remote.h"

typedef af_remote_ops af_smb_ops;

#endif /* AF_SMB_H */
