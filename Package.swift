// swift-tools-version:6.0
import PackageDescription

/// C kernels are always optimized (debug builds would otherwise compile them at -O0, 20x slower) and use
/// OpenMP from LLVM 19's libomp (Debian: libomp-19-dev). The baseline ISA is x86-64-v3 (AVX2 + FMA);
/// AVX-512 code paths are selected at run time. See docs/design.md and ../shared/BUILD-NOTES.md.
let kernelFlags: [String] = [
    "-fopenmp", "-idirafter", "/usr/lib/llvm-19/lib/clang/19/include",
    "-O3", "-march=x86-64-v3", "-ffp-contract=fast",
]

let package = Package(
    name: "Tangent",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tangent", targets: ["tangent"]),
        .library(name: "TangentCore", targets: ["TangentCore"]),
        .library(name: "TangentPipeline", targets: ["TangentPipeline"]),
        .library(name: "TangentNTK", targets: ["TangentNTK"]),
        .library(name: "TangentStages", targets: ["TangentStages"]),
        .library(name: "TangentBench", targets: ["TangentBench"]),
        .library(name: "TangentReport", targets: ["TangentReport"]),
        .library(name: "TangentCLI", targets: ["TangentCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .target(
            name: "CKernels",
            path: "CKernels",
            cSettings: [.unsafeFlags(kernelFlags)],
            linkerSettings: [.linkedLibrary("omp5")]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CLinux",
            path: "Sources/CLinux"
        ),
        .target(
            name: "TangentCore",
            dependencies: ["CKernels", "COpenBLAS", "CZlib", .product(name: "Crypto", package: "swift-crypto"),
                           .target(name: "CLinux", condition: .when(platforms: [.linux]))]
        ),
        .target(
            name: "TangentPipeline",
            dependencies: ["TangentCore", "Yams"]
        ),
        .target(
            name: "TangentNTK",
            dependencies: ["TangentCore"]
        ),
        .target(
            name: "TangentStages",
            dependencies: ["TangentCore", "TangentNTK", "TangentPipeline"]
        ),
        .target(
            name: "TangentReport",
            dependencies: ["TangentCore", "TangentPipeline"]
        ),
        .target(
            name: "TangentBench",
            dependencies: ["TangentCore", "TangentNTK", "TangentPipeline", "TangentStages"]
        ),
        .target(
            name: "TangentCLI",
            dependencies: [
                "TangentBench",
                "TangentCore",
                "TangentPipeline",
                "TangentReport",
                "TangentStages",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "tangent",
            dependencies: ["TangentCLI"]
        ),
        .target(
            name: "TestStages",
            dependencies: ["TangentCore", "TangentPipeline"],
            path: "Tests/Support/TestStages"
        ),
        .executableTarget(
            name: "tangent-testing",
            dependencies: ["TangentCLI", "TestStages"],
            path: "Tests/Support/tangent-testing"
        ),
        .testTarget(
            name: "TangentPipelineTests",
            dependencies: ["TangentPipeline", "TangentCLI", "TestStages", "tangent-testing"],
            resources: [.copy("Corpus"), .copy("Hostile")]
        ),
        .testTarget(
            name: "TangentNTKTests",
            dependencies: ["TangentNTK", "TangentCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TangentStagesTests",
            dependencies: ["TangentStages", "TangentNTK", "TangentPipeline", "TangentCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TangentReportTests",
            dependencies: ["TangentReport", "TangentStages", "TangentPipeline", "TangentCore"]
        ),
        .testTarget(
            name: "TangentBenchTests",
            dependencies: ["TangentBench", "TangentCore"]
        ),
        .testTarget(
            name: "TangentCoreTests",
            dependencies: ["TangentCore", "CZlib"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
