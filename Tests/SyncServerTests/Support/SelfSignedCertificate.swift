import Foundation

/// A self-signed certificate for `localhost` and `127.0.0.1`, made with the `openssl` command.
struct SelfSignedCertificate {
    let certificatePath: String
    let privateKeyPath: String

    var certificatePEM: String {
        get throws { try String(contentsOfFile: certificatePath, encoding: .utf8) }
    }

    /// Generates a fresh key pair and certificate (valid one day) in a temporary directory.
    static func make(commonName: String = "localhost") throws -> SelfSignedCertificate {
        let directory = try TestEnvironment.makeTemporaryDirectory()
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let openssl = try ProcessRunner().run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=\(commonName)",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ], timeout: 60)
        guard openssl.status == 0 else {
            throw TestSetupError("openssl req -x509 failed with status \(openssl.status)")
        }
        return SelfSignedCertificate(certificatePath: certificate, privateKeyPath: key)
    }
}
