import PowerLawStage
import TangentCLI

// Tangent's command line with the built-in stages plus this package's own.
TangentCLI.run(stages: TangentCLI.builtinStages + [PowerLawSpectrum.self, PowerLawFit.self])
