/* zipper.c - two archive drivers of a plugin, for the enterprise
 * allowlist (zip_drivers). They are never opened by the flow. */
#include <af.h>

const af_driver af_driver_archive_myzip = {
    .abi = AF_ABI_VERSION, .kind = "archive", .name = "myzip", .summary = "test driver",
};

const af_driver af_driver_archive_otherzip = {
    .abi = AF_ABI_VERSION, .kind = "archive", .name = "otherzip", .summary = "test driver",
};
