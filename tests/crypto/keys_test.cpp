#include "entente/crypto/keys.h"

#include <gtest/gtest.h>

#include "entente/crypto/envelope.h"

namespace entente::crypto::keys {
namespace {

const ScryptParams kFast{1u << 14, 8, 1};  // the minimum the parser accepts; tests only
const Bytes kPass = {'c', 'o', 'r', 'r', 'e', 'c', 't', ' ', 'h', 'o', 'r', 's', 'e'};

TEST(KeysTest, KeyFileRoundTripAndWrongPassphrase) {
  for (Profile profile : {Profile::kLevel3, Profile::kLevel5}) {
    auto id = Generate(profile, "node", "CERT-EU node 1").value();
    const std::string text = EncodeKeyFile(id, kPass, kFast).value();
    // Secrets never appear in the file.
    EXPECT_EQ(text.find(HexEncode(id.kem_seed.view())), std::string::npos);
    EXPECT_EQ(text.find(HexEncode(id.sig_key.view())), std::string::npos);
    auto back = DecryptKeyFile(text, kPass);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(HexEncode(back.value().kem_seed.view()), HexEncode(id.kem_seed.view()));
    EXPECT_EQ(HexEncode(back.value().sig_key.view()), HexEncode(id.sig_key.view()));
    EXPECT_EQ(back.value().pub.label, "CERT-EU node 1");
    EXPECT_EQ(DecryptKeyFile(text, AsBytes("wrong passphrase")).status().code(),
              ErrorCode::kCryptoError);
    auto pub = ParsePublic(text).value();
    EXPECT_EQ(pub.kem_key_id(), id.pub.kem_key_id());
    const std::string pub_text = EncodePublicKeyFile(id.pub);
    EXPECT_EQ(pub_text.find("private"), std::string::npos);
    EXPECT_EQ(ParsePublic(pub_text).value().sig_public_key, id.pub.sig_public_key);
    EXPECT_FALSE(DecryptKeyFile(pub_text, kPass).ok());
  }
}

TEST(KeysTest, TamperedFilesAreRejected) {
  auto id = Generate(Profile::kLevel3, "user", "analyst").value();
  const std::string text = EncodeKeyFile(id, kPass, kFast).value();
  // Swap in another identity's public keys with matching ids: the AD no longer matches.
  auto other = Generate(Profile::kLevel3, "user", "analyst").value();
  std::string swapped = text;
  auto replace = [&](const Bytes& from, const Bytes& to) {
    const std::string f = HexEncode(from), t = HexEncode(to);
    swapped.replace(swapped.find(f), f.size(), t);
  };
  replace(id.pub.kem_public_key, other.pub.kem_public_key);
  replace(id.pub.kem_key_id(), other.pub.kem_key_id());
  EXPECT_EQ(DecryptKeyFile(swapped, kPass).status().code(), ErrorCode::kCryptoError);
  // A key id that does not match its key.
  std::string bad_id = text;
  const std::string kid = HexEncode(id.pub.kem_key_id());
  bad_id.replace(bad_id.find(kid), 2, kid[0] == '0' ? "11" : "00");
  EXPECT_EQ(ParsePublic(bad_id).status().code(), ErrorCode::kCorruption);
  // Weak or absurd scrypt parameters are refused.
  std::string weak = text;
  weak.replace(weak.find("\"n\": 16384"), 10, "\"n\": 1024");
  EXPECT_FALSE(DecryptKeyFile(weak, kPass).ok());
  EXPECT_FALSE(EncodeKeyFile(id, AsBytes("short"), kFast).ok());
  EXPECT_FALSE(ParsePublic("{").ok());
  EXPECT_FALSE(ParsePublic(std::string(70000, ' ')).ok());
}

TEST(KeysTest, RotationKeepsOldEnvelopesOpen) {
  auto sender_id = Generate(Profile::kLevel3, "node", "sender").value();
  auto sender = sender_id.SigKey().value();
  auto old = Generate(Profile::kLevel3, "node", "receiver").value();
  envelope::Recipient to_old{old.pub.kem_suite, old.pub.kem_public_key, std::nullopt};
  auto env_old = envelope::Seal(*sender, {to_old}, {}, AsBytes("before rotation")).value();
  auto next = Rotate(old).value();
  EXPECT_EQ(old.pub.status, "retired");
  EXPECT_EQ(next.pub.rotated_from, HexEncode(old.pub.sig_key_id()));
  EXPECT_NE(next.pub.kem_key_id(), old.pub.kem_key_id());
  // The retired key still opens what was sealed to it, after a round trip through its file.
  auto reloaded = DecryptKeyFile(EncodeKeyFile(old, kPass, kFast).value(), kPass).value();
  EXPECT_EQ(reloaded.pub.status, "retired");
  Bytes out;
  ASSERT_TRUE(envelope::Open(*reloaded.KemKey().value(), envelope::BytesSource(env_old),
                             envelope::BytesSink(out))
                  .ok());
  EXPECT_EQ(AsChars(out), "before rotation");
  // The new key does not.
  out.clear();
  EXPECT_FALSE(envelope::Open(*next.KemKey().value(), envelope::BytesSource(env_old),
                              envelope::BytesSink(out))
                   .ok());
}

}  // namespace
}  // namespace entente::crypto::keys
