#!/usr/bin/env python3
"""Independent reference for Tangent's random number generator (Sources/TangentCore/Random.swift).

SplitMix64 fills the 256-bit state of xoshiro256** (Blackman & Vigna); normals use the Marsaglia polar
method. Prints the values that Tests/TangentCoreTests/RandomTests.swift checks:
    python3 tools/rng_reference.py
"""
import math

MASK = (1 << 64) - 1


def splitmix64_mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class SplitMix64:
    def __init__(self, state):
        self.state = state & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        return splitmix64_mix(self.state)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro256StarStar:
    def __init__(self, seed, stream=0):
        if stream == 0:
            sm = SplitMix64(seed)
        else:
            sm = SplitMix64(splitmix64_mix(seed & MASK) ^ splitmix64_mix((stream ^ 0xD1B54A32D192ED03) & MASK))
        self.s = [sm.next() for _ in range(4)]
        self.spare = None

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

    def normal(self):
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        while True:
            u = 2 * self.uniform() - 1
            v = 2 * self.uniform() - 1
            s = u * u + v * v
            if s >= 1 or s == 0:
                continue
            m = math.sqrt(-2 * math.log(s) / s)
            self.spare = v * m
            return u * m


if __name__ == "__main__":
    print("splitmix64(1234567):", [SplitMix64(1234567).next()])
    sm = SplitMix64(1234567)
    print("splitmix64(1234567) first 3:", [sm.next() for _ in range(3)])
    for seed, stream in [(0, 0), (42, 0), (42, 7)]:
        g = Xoshiro256StarStar(seed, stream)
        print(f"xoshiro seed={seed} stream={stream} next x4:", [g.next() for _ in range(4)])
    g = Xoshiro256StarStar(42)
    print("uniform seed=42 x3:", [repr(g.uniform()) for _ in range(3)])
    g = Xoshiro256StarStar(42)
    print("normal seed=42 x5:", [repr(g.normal()) for _ in range(5)])
