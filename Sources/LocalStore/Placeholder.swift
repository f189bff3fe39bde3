import SyncProtocol
public enum LocalStorePlaceholder {}
