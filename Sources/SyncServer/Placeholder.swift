import SyncProtocol
public enum SyncServerPlaceholder {}
