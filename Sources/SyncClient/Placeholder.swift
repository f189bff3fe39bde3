import SyncProtocol
public enum SyncClientPlaceholder {}
