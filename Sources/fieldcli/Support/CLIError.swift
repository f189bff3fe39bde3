import ArgumentParser
import Foundation
import LocalStore

/// The documented exit codes of `fieldcli`.
enum ExitStatus: Int32 {
    case success = 0
    case failure = 1
    case wrongPassphrase = 3
    case damagedStore = 4
    case storeMissing = 5
    case storeLocked = 6
    case notFound = 7
    case syncFailed = 8
    case usage = 64

    static let documentation = """
        EXIT CODES
          0   success
          1   other error
          3   wrong passphrase (nothing was changed)
          4   the store is damaged or has been tampered with
          5   no store at this location (run 'fieldcli init')
          6   the store is in use by another fieldcli process
          7   no such subject, note or conflict
          8   sync failed (offline or server error); unsynced notes stay in the outbox
          64  bad usage
        """
}

/// An error the CLI reports on one line with a chosen exit status.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var status: ExitStatus

    init(_ message: String, status: ExitStatus = .failure) {
        self.message = message
        self.status = status
    }

    var description: String { message }

    /// Maps any error to the line and exit status the CLI reports.
    static func from(_ error: any Error) -> CLIError {
        if let cliError = error as? CLIError { return cliError }
        if let storeError = error as? LocalStoreError {
            let message = Text.storeError(storeError)
            switch storeError {
            case .wrongPassphrase: return CLIError(message, status: .wrongPassphrase)
            case .damaged: return CLIError(message, status: .damagedStore)
            case .storeMissing: return CLIError(message, status: .storeMissing)
            case .lockedByAnotherProcess: return CLIError(message, status: .storeLocked)
            case .notFound, .ambiguousID: return CLIError(message, status: .notFound)
            case .invalidInput, .duplicateSubject: return CLIError(message, status: .usage)
            case .storeAlreadyExists, .closed, .io, .changedMeanwhile, .diskFull:
                return CLIError(message, status: .failure)
            }
        }
        if let localized = error as? LocalizedError, let description = localized.errorDescription {
            return CLIError(description)
        }
        return CLIError("\(error)")
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
