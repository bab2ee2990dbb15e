import Foundation

/// Whether this test process (and so the binaries built with it) runs under a sanitizer:
/// memory and time bounds mean nothing there (shadow memory, quarantine, 10× slower).
public enum Sanitizer {
    public static let isActive: Bool = {
        let environment = ProcessInfo.processInfo.environment
        // .ci/run sets these for its sanitizer stages; the runtime's own symbols say it for a hand-run build.
        return environment["LSAN_OPTIONS"] != nil || environment["TSAN_OPTIONS"] != nil
            || ["__asan_init", "__tsan_init"].contains { (name: String) in dlsym(nil, name) != nil }
    }()
}
