#ifndef FIELDVFS_H
#define FIELDVFS_H
int fieldvfs_register(void);
#endif
