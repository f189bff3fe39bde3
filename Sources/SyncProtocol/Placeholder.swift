public enum SyncProtocolPlaceholder {}
