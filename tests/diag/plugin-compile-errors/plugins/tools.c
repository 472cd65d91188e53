#include <af.h>
#include "include/tools.h"

int tools_twice(int x) { return helper(x) * 2; }
