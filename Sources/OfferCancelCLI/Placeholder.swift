import Foundation
import Hummingbird; import AsyncHTTPClient; import ArgumentParser; import Histogram; import Subprocess
