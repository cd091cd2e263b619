#include "common/hash.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace krnl;

TEST(Sha256, StandardVectors) {
    EXPECT_EQ(to_hex(sha256({})),
              "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(to_hex(sha256(as_bytes("abc"))),
              "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // FIPS 180-2's two-block message.
    EXPECT_EQ(to_hex(sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
              "0x248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, MillionAs) {
    const std::string a(1000000, 'a');
    EXPECT_EQ(to_hex(sha256(as_bytes(a))),
              "0xcdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Ripemd160, StandardVectors) {
    // From the RIPEMD-160 authors' test set.
    EXPECT_EQ(to_hex(ripemd160({})), "0x9c1185a5c5e9fc54612808977ee8f548b2258d31");
    EXPECT_EQ(to_hex(ripemd160(as_bytes("abc"))), "0x8eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
    EXPECT_EQ(to_hex(ripemd160(as_bytes("message digest"))),
              "0x5d0689ef49d2fae572b881b123a85ffa21595f36");
    EXPECT_EQ(
        to_hex(ripemd160(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
        "0x12a053384a9c0c88e405a06c27dcf49ada62eb2b");
}

TEST(Ripemd160, MillionAs) {
    const std::string a(1000000, 'a');
    EXPECT_EQ(to_hex(ripemd160(as_bytes(a))), "0x52783243c1697bdbe16d37f97f68f08325dc1528");
}
