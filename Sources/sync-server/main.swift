print("sync-server")
