import SyncProtocol
public enum SyncSimulatorPlaceholder {}
