/* a helper with a typo */
static int helper(int x) { return x + offest; }
