import Testing
import TangentCore
import TangentNTK
import TangentPipeline
@testable import TangentStages

@Suite("Dataset artifacts")
struct DatasetArtifactTests {
    @Test("a dataset round-trips through its artifact, labels included")
    func roundTrip() throws {
        var rng = Xoshiro256StarStar(seed: 1)
        let d = try Dataset(trainInputs: .randomNormal(rows: 5, columns: 3, using: &rng),
                            trainTargets: .randomNormal(rows: 5, columns: 2, using: &rng),
                            testInputs: .randomNormal(rows: 2, columns: 3, using: &rng),
                            testTargets: .randomNormal(rows: 2, columns: 2, using: &rng),
                            trainLabels: [0, 1, 1, 0, 1], testLabels: [1, 0])
        let back = try TangentStagesTests.roundTrip(DatasetArtifact(d)).dataset
        #expect(back == d)
        let noTest = try Dataset(trainInputs: d.trainInputs, trainTargets: d.trainTargets)
        #expect(try TangentStagesTests.roundTrip(DatasetArtifact(noTest)).dataset == noTest)
    }
}
