import TangentCLI
import TestStages

// `tangent` with the engine's test stages added, for tests that drive the command line (and SIGKILL it).
TangentCLI.run(stages: TangentCLI.builtinStages + TestStages.all)
