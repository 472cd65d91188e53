#include <af.h>

int warn_me(void) { return undeclared_function(1); }
int undeclared_function(int x) { return x; }
