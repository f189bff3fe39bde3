import Foundation
import Testing

@testable import SyncServer

@Suite("Secrets and digests")
struct SecretsTests {
    @Test func sha256MatchesPublishedVectors() {
        #expect(SHA256Digest.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Digest.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256Digest.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256Digest.hex(String(repeating: "a", count: 1_000))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func tokensAreRandomAndLongEnough() {
        let tokens = Set((0..<100).map { _ in Secrets.makeDeviceToken() })
        #expect(tokens.count == 100)
        #expect(tokens.allSatisfy { $0.count == 43 && !$0.contains("=") })
    }

    @Test func enrolmentCodesAreGroupedAndNormalisedWhenHashed() {
        let code = Secrets.makeEnrolmentCode()
        #expect(code.count == 14 && code.split(separator: "-").count == 3)
        #expect(Secrets.enrolmentCodeDigest(code) == Secrets.enrolmentCodeDigest(code.lowercased()))
        #expect(Secrets.enrolmentCodeDigest(code) != Secrets.tokenDigest(code))
    }

    @Test func rateLimiterRefillsOverTime() {
        let limiter = RateLimiter(burst: 2, perSecond: 1)
        let start = ContinuousClock.now
        #expect(limiter.acquire("d", now: start) == nil)
        #expect(limiter.acquire("d", now: start) == nil)
        #expect(limiter.acquire("d", now: start) == 1)
        #expect(limiter.acquire("other", now: start) == nil)
        #expect(limiter.acquire("d", now: start + .seconds(1.1)) == nil)
    }
}
