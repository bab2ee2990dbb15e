import Foundation
import JSONStream

/// Paths and helpers shared by the JSONStream tests.
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    static var seedReply: URL { directory.appendingPathComponent("cancel-offer-response.json") }
}

/// A temporary file holding `bytes`, removed when the test's scope ends.
final class TemporaryFile {
    let path: String

    init(_ bytes: [UInt8]) throws {
        path = NSTemporaryDirectory() + "jsonstream-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    convenience init(_ text: String) throws { try self.init(Array(text.utf8)) }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func input(chunkSize: Int = 64 * 1024) throws -> ByteInput { try ByteInput(path: path, chunkSize: chunkSize) }
}
