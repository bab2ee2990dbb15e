import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// `--mock` starts the `arkane-mock` executable as a child: the shipped `offer-cancel` does not
    /// link the simulation, and the child never outlives the run.
    @Suite(.serialized, .machineShare) struct MockChildEndToEndTests {
        let scratch: Scratch

        init() throws { scratch = try Scratch() }

        @Test func theShippedBinaryLinksNoSimulatedMarket() throws {
            let symbols = try capture("/usr/bin/nm", [try Binaries.path("offer-cancel")])
            // "10MockMarket" is how Swift mangles a symbol of the MockMarket module.
            let hummingbird = symbols.split(separator: "\n").filter { $0.contains("Hummingbird") || $0.contains("10MockMarket") }
            #expect(hummingbird.isEmpty, "\(hummingbird.count) symbols, first: \(hummingbird.first ?? "")")
            #expect(symbols.contains("OfferCancelKit"), "nm read the binary")
        }

        @Test func mockRunsTheChildAndStopsIt() throws {
            let ids = try IDFile(count: 40)
            // The market inherits this tag with the rest of the environment: it finds the market
            // wherever it runs, even orphaned, and among the markets of tests running beside this one.
            let tag = "OFFER_CANCEL_TEST_TAG=\(UUID().uuidString)"
            let run = try CancelRun.run(["--mock", "-v", "--sink", "ndjson:-", ids.path],
                                        environment: ["ARKANE_TOKEN": "a-real-token-the-mock-refuses", "OFFER_CANCEL_TEST_TAG": String(tag.split(separator: "=")[1])])
            #expect([0, 1].contains(run.status), "\(run.stderr)")
            #expect(try run.records().count == 40)
            #expect(run.stderr.contains("market: \(try Binaries.path("arkane-mock"))"), "\(run.stderr)")
            #expect(try processes(taggedWith: tag).isEmpty, "no market left running")
        }

        /// The processes, anywhere on the machine, whose environment holds `tag` ("NAME=value").
        private func processes(taggedWith tag: String) throws -> [pid_t] {
            try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { pid_t($0) }.filter { pid in
                guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
                return environ.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == tag }
            }
        }

        /// Killed with SIGKILL mid-run, `offer-cancel` cannot stop its market: the market sees its
        /// input pipe close and stops by itself.
        @Test func theMarketStopsWhenOfferCancelIsKilled() throws {
            let input = Pipe()
            let run = try LiveRun(["--mock", "--sink", "ndjson:-", "-"], stdin: input.fileHandleForReading)
            input.fileHandleForWriting.write(Data((testID(1) + "\n").utf8))
            #expect(run.wait(upTo: 60) { run.stdoutLines.count == 1 }, "\(run.stderr)")
            let market = try #require(try childPIDs(of: run.process.processIdentifier).first, "the market runs as a child")
            #expect(getpgid(market) == market, "the market leads a process group of its own (a terminal's Ctrl-C does not reach it)")
            run.signal(SIGKILL)
            _ = run.waitForExit(upTo: 10)
            let gone = run.wait(upTo: 20) { kill(market, 0) != 0 }
            if !gone { kill(market, SIGKILL) }
            #expect(gone, "the market stopped when the pipe from its parent closed")
            try? input.fileHandleForWriting.close()
        }

        @Test func mockWithoutTheMarketExecutableIsOneLine() throws {
            let lonely = scratch.file("offer-cancel")
            try FileManager.default.copyItem(atPath: try Binaries.path("offer-cancel"), toPath: lonely)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: lonely)
            process.arguments = ["--mock", "--sink", "ndjson:-", "-"]
            process.environment = ["PATH": "/usr/bin:/bin"]
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 2)
            #expect(text.contains("--mock needs the arkane-mock executable beside offer-cancel or on PATH"), "\(text)")
            #expect(text.split(separator: "\n").count == 1, "one line: \(text)")
        }

        private func childPIDs(of pid: pid_t) throws -> [pid_t] {
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
            return tasks.flatMap { task in
                ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
                    .split(separator: " ").compactMap { pid_t($0) }
            }
        }

        private func capture(_ executable: String, _ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
    }
}
