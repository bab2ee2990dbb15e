import Foundation
import JSONStream

/// One file per fuzzer process that each input is written to, so the library reads it exactly
/// as it reads a user's file: through `ByteInput`, in chunks.
public enum FuzzInput {
    nonisolated(unsafe) private static var file: (path: String, fd: Int32)?

    /// Writes `bytes` to the process's scratch file and returns its path.
    public static func path(holding bytes: UnsafeRawBufferPointer) -> String {
        if file == nil {
            let path = NSTemporaryDirectory() + "offer-cancel-fuzz-\(getpid())"
            file = (path, open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600))
        }
        let (path, fd) = file!
        _ = ftruncate(fd, 0)
        if bytes.count > 0 { _ = pwrite(fd, bytes.baseAddress!, bytes.count, 0) }
        return path
    }

    /// A fresh `ByteInput` over `bytes`, read in small chunks so items straddle chunk edges.
    public static func byteInput(_ bytes: UnsafeRawBufferPointer) -> ByteInput {
        try! ByteInput(path: path(holding: bytes), chunkSize: 61)
    }
}

/// libFuzzer's driver, for an entry point of our own: SwiftPM links an executable target with
/// `main` aliased to `<Target>_main`, so each target defines that symbol and hands over here.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafeRawPointer, Int) -> CInt
) -> CInt

/// Runs libFuzzer with the process's arguments over `callback`.
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                      _ callback: @convention(c) (UnsafeRawPointer, Int) -> CInt) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, callback)
}
