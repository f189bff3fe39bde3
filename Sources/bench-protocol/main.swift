print("bench-protocol")
