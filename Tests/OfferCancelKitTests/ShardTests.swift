import Foundation
@testable import OfferCancelKit
import Testing

@Suite struct ShardTests {
    @Test(arguments: [("1/1", 1, 1), ("2/4", 2, 4), ("4/4", 4, 4), ("1000000/1000000", 1_000_000, 1_000_000)])
    func parses(text: String, index: Int, count: Int) throws {
        let shard = try #require(Shard(text))
        #expect((shard.index, shard.count) == (index, count))
        #expect(shard.description == text)
    }

    @Test(arguments: ["", "/", "1/", "/3", "0/3", "4/3", "1/0", "-1/3", "+1/3", "1/1000001", "1 /3", "٢/٣", "1/3/3", "one/three"])
    func refuses(text: String) {
        #expect(Shard(text) == nil)
    }

    /// FNV-1a-64 reference values (the algorithm's published test vectors), then `% N + 1`.
    @Test(arguments: [("", 0xcbf2_9ce4_8422_2325 as UInt64), ("a", 0xaf63_dc4c_8601_ec8c), ("foobar", 0x8594_4171_f739_67e8)])
    func theHashIsFNV1a64(text: String, hash: UInt64) {
        for count in [1, 2, 3, 7, 1000] {
            #expect(Shard.number(of: text, count: count) == Int(hash % UInt64(count)) + 1)
        }
    }

    @Test func everyTextIsInExactlyOneShard() {
        let texts = (0..<2000).map { "00000000-0000-4000-8000-\(String(format: "%012x", $0))" }
        var sizes = [0, 0, 0, 0, 0]
        for text in texts {
            let holders = (1...5).filter { Shard("\($0)/5")!.contains(text) }
            #expect(holders.count == 1)
            sizes[holders[0] - 1] += 1
        }
        #expect(sizes.allSatisfy { $0 > 300 }, "about a fifth each: \(sizes)")
    }
}
