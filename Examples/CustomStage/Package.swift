// swift-tools-version:6.0
// An example plugin: a package that adds its own stage to Tangent and builds its own `tangent` executable.
// It depends on Tangent by path (a dependency pinned to a version cannot use Tangent's C compiler flags).
import PackageDescription

let package = Package(
    name: "CustomStage",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Tangent", path: "../.."),
    ],
    targets: [
        .target(
            name: "PowerLawStage",
            dependencies: [
                .product(name: "TangentCore", package: "Tangent"),
                .product(name: "TangentPipeline", package: "Tangent"),
            ]
        ),
        .executableTarget(
            name: "tangent-custom",
            dependencies: ["PowerLawStage", .product(name: "TangentCLI", package: "Tangent")]
        ),
    ]
)
