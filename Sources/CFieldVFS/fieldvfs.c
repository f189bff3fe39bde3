#include "fieldvfs.h"
int fieldvfs_register(void) { return 1; }
