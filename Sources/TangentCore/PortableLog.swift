/// The natural logarithm computed with IEEE-754 double arithmetic only (a port of fdlibm's `__ieee754_log`,
/// Sun Microsystems 1993, freely distributable), so that it returns the same bits on every machine.
///
/// Platform `log` implementations may differ in the last bit; random normal draws go through this function
/// so that a seed gives identical numbers everywhere. Error < 1 ulp.
public func portableLog(_ x: Double) -> Double {
    let ln2Hi = 6.93147180369123816490e-01
    let ln2Lo = 1.90821492927058770002e-10
    let two54 = 1.80143985094819840000e+16
    let lg1 = 6.666666666666735130e-01
    let lg2 = 3.999999999940941908e-01
    let lg3 = 2.857142874366239149e-01
    let lg4 = 2.222219843214978396e-01
    let lg5 = 1.818357216161805012e-01
    let lg6 = 1.531383769920937332e-01
    let lg7 = 1.479819860511658591e-01

    var x = x
    var hx = Int32(truncatingIfNeeded: x.bitPattern >> 32)
    let lx = UInt32(truncatingIfNeeded: x.bitPattern)
    var k: Int32 = 0
    if hx < 0x0010_0000 {  // x < 2^-1022
        if (hx & 0x7fff_ffff) | Int32(bitPattern: lx) == 0 { return -Double.infinity }
        if hx < 0 { return .nan }
        k -= 54
        x *= two54  // subnormal: scale up
        hx = Int32(truncatingIfNeeded: x.bitPattern >> 32)
    }
    if hx >= 0x7ff0_0000 { return x + x }
    k += (hx >> 20) - 1023
    hx &= 0x000f_ffff
    let i0 = (hx &+ 0x95f64) & 0x10_0000
    // Normalize x or x/2 into [sqrt(2)/2, sqrt(2)).
    let high = UInt64(UInt32(bitPattern: hx | (i0 ^ 0x3ff0_0000)))
    x = Double(bitPattern: (high << 32) | (x.bitPattern & 0xffff_ffff))
    k += i0 >> 20
    let f = x - 1.0
    let dk = Double(k)
    if (0x000f_ffff & (2 &+ hx)) < 3 {  // |f| < 2^-20
        if f == 0 { return k == 0 ? 0 : dk * ln2Hi + dk * ln2Lo }
        let r = f * f * (0.5 - 0.33333333333333333 * f)
        return k == 0 ? f - r : dk * ln2Hi - ((r - dk * ln2Lo) - f)
    }
    let s = f / (2.0 + f)
    let z = s * s
    var i = hx &- 0x6147a
    let w = z * z
    let j = 0x6b851 &- hx
    let t1 = w * (lg2 + w * (lg4 + w * lg6))
    let t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
    i |= j
    let r = t2 + t1
    if i > 0 {
        let hfsq = 0.5 * f * f
        return k == 0 ? f - (hfsq - s * (hfsq + r)) : dk * ln2Hi - ((hfsq - (s * (hfsq + r) + dk * ln2Lo)) - f)
    } else {
        return k == 0 ? f - s * (f - r) : dk * ln2Hi - ((s * (f - r) - dk * ln2Lo) - f)
    }
}
