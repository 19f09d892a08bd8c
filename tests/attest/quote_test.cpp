// DCAP verification of the real SGX and TDX quotes in ../shared/vectors/dcap
// (SOURCES.md says what each is and what it must verify to), and one
// refusal for each part of a quote or collateral that is changed.
#include <fstream>
#include <random>
#include <sstream>

#include "support/synthetic_dcap.h"
#include "support/test_support.h"
#include "vigil/dcap.h"
#include "vigil/hash.h"

namespace vigil::dcap {
namespace {

// 2025-07-01T00:00:00Z: inside every window of both vectors' collateral.
constexpr std::int64_t kInsideWindow = 1751328000;

std::optional<std::string> read_shared(const std::string& relative) {
  std::ifstream in(test::shared_vectors_path(relative), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Vector {
  Bytes quote;
  Collateral collateral;
};

class DcapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tee : {"sgx", "tdx"}) {
      const auto quote = read_shared(std::string("dcap/") + tee + "_quote");
      const auto collateral = read_shared(std::string("dcap/") + tee + "_quote_collateral.json");
      if (!quote || !collateral) GTEST_SKIP() << "shared vectors missing: " << test::shared_vectors_path("dcap");
      auto parsed = parse_collateral_json(*collateral);
      ASSERT_TRUE(parsed.ok()) << parsed.error().message;
      (std::string(tee) == "sgx" ? sgx_ : tdx_) = Vector{Bytes(quote->begin(), quote->end()), std::move(*parsed)};
    }
  }

  // The verification of `quote` bytes against `collateral`, at `at`.
  static Result<Verdict> verify(ByteSpan quote, const Collateral& collateral, std::int64_t at = kInsideWindow) {
    VIGIL_ASSIGN_OR_RETURN(Quote q, parse_quote(quote));
    VIGIL_ASSIGN_OR_RETURN(CheckedCollateral c, CheckedCollateral::check(collateral));
    return verify_quote(q, c, at);
  }
  // The error message verifying a copy of `v`'s quote with byte `at` flipped.
  static std::string flipped(const Vector& v, std::size_t at) {
    Bytes q = v.quote;
    q.at(at) ^= 0x01;
    auto r = verify(q, v.collateral);
    return r.ok() ? "verified" : r.error().message;
  }
  static bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

  Vector sgx_, tdx_;
};

TEST_F(DcapTest, TheCompiledInRootIsIntels) {
  const auto file = read_shared("dcap/intel_sgx_root_ca.der");
  ASSERT_TRUE(file.has_value());
  const ByteSpan root = intel_sgx_root_ca();
  EXPECT_EQ(Bytes(root.begin(), root.end()), Bytes(file->begin(), file->end()));
  EXPECT_EQ(to_hex(sha256(root)), "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3");
}

TEST_F(DcapTest, TheRealSgxQuoteVerifiesWithItsStatusAndAdvisories) {
  auto q = parse_quote(sgx_.quote);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->version, 3);
  EXPECT_EQ(q->tee, Tee::kSgx);
  const auto& report = std::get<EnclaveReport>(q->report);
  EXPECT_EQ(to_hex(report.mr_enclave), "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb");
  EXPECT_EQ(std::string(report.report_data.begin(), report.report_data.begin() + 13), "Hello, world!");
  EXPECT_FALSE(q->debug());

  auto verdict = verify(sgx_.quote, sgx_.collateral);
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  EXPECT_EQ(verdict->tee, Tee::kSgx);
  EXPECT_EQ(tcb_status_name(verdict->status), "ConfigurationAndSWHardeningNeeded");
  EXPECT_EQ(verdict->advisories, (std::vector<std::string>{"INTEL-SA-00289", "INTEL-SA-00615"}));
  EXPECT_EQ(to_hex(verdict->fmspc), "00a067110000");
}

TEST_F(DcapTest, TheRealTdxQuoteWithItsZeroPaddingVerifiesUpToDate) {
  auto q = parse_quote(tdx_.quote);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->version, 4);
  EXPECT_EQ(q->tee, Tee::kTdx);
  EXPECT_EQ(tdx_.quote.size(), 5006u) << "70 zero bytes after the signature data";
  const auto& report = std::get<TdReport>(q->report);
  EXPECT_EQ(to_hex(report.mr_td),
            "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7");
  EXPECT_FALSE(report.tee_tcb_svn2.has_value());
  EXPECT_FALSE(q->debug());

  auto verdict = verify(tdx_.quote, tdx_.collateral);
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  EXPECT_EQ(verdict->tee, Tee::kTdx);
  EXPECT_EQ(verdict->status, TcbStatus::kUpToDate);
  EXPECT_TRUE(verdict->advisories.empty());
}

TEST_F(DcapTest, CheckedCollateralKnowsItsWindow) {
  auto c = CheckedCollateral::check(tdx_.collateral);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->tee(), Tee::kTdx);
  EXPECT_EQ(c->valid_from(), 1750329147);   // the QE identity's issue date
  EXPECT_EQ(c->valid_until(), 1752919235);  // the PCK CRL's next update
  auto q = parse_quote(tdx_.quote).value();
  EXPECT_TRUE(verify_quote(q, *c, c->valid_from()).ok());
  EXPECT_TRUE(verify_quote(q, *c, c->valid_until() - 1).ok());
  auto late = verify_quote(q, *c, c->valid_until());
  ASSERT_FALSE(late.ok());
  EXPECT_TRUE(starts_with(late.error().message, "collateral_expired: pck_crl is valid until 2025-07-19T10:00:35Z"))
      << late.error().message;
  auto early = verify_quote(q, *c, c->valid_from() - 1);
  ASSERT_FALSE(early.ok());
  EXPECT_TRUE(starts_with(early.error().message, "collateral_not_yet_valid: qe_identity")) << early.error().message;
}

TEST_F(DcapTest, AFlippedByteAnywhereSignedIsRefused) {
  // The header's user data, the report body, REPORTDATA: the quote signature.
  for (std::size_t at : {std::size_t{30}, std::size_t{48 + 64}, std::size_t{48 + 320}}) {
    EXPECT_EQ(flipped(sgx_, at), "quote_invalid: signature: does not verify with the attestation key") << at;
  }
  for (std::size_t at : {std::size_t{30}, std::size_t{48 + 136}, std::size_t{48 + 520}}) {
    EXPECT_EQ(flipped(tdx_, at), "quote_invalid: signature: does not verify with the attestation key") << at;
  }
  // The signature itself.
  EXPECT_EQ(flipped(tdx_, 636 + 5), "quote_invalid: signature: does not verify with the attestation key");
  // The attestation key: no longer the one the QE report binds (or not a point).
  EXPECT_TRUE(starts_with(flipped(tdx_, 700 + 63), "quote_invalid: QE report data")) << flipped(tdx_, 763);
  // The QE report (its MRSIGNER) and its signature.
  EXPECT_EQ(flipped(tdx_, 770 + 128),
            "quote_invalid: QE report signature: does not verify with the PCK certificate's key");
  EXPECT_EQ(flipped(sgx_, 948 + 10),
            "quote_invalid: QE report signature: does not verify with the PCK certificate's key");
  // The QE authentication data the QE report binds.
  EXPECT_EQ(flipped(tdx_, 1218 + 2 + 5),
            "quote_invalid: QE report data: does not bind the attestation key and QE authentication data");
  // The PCK certificate's signature (inside the PEM's base64, a byte of its end).
  const std::size_t pem_end = 1252 + 6 + 3678 - 1;
  const std::string pem(tdx_.quote.begin() + 1258, tdx_.quote.begin() + static_cast<std::ptrdiff_t>(pem_end));
  const std::size_t first_end = pem.find("-----END CERTIFICATE-----");
  EXPECT_TRUE(starts_with(flipped(tdx_, 1258 + first_end - 10), "quote_invalid: PCK certificate chain"))
      << flipped(tdx_, 1258 + first_end - 10);
}

// Random damage: anywhere, it never crashes; before the PCK chain (whose
// PEM text is not itself signed), it never verifies.
TEST_F(DcapTest, RandomlyDamagedQuotesNeverVerify) {
  std::mt19937_64 rng(test::test_seed());
  auto collateral = CheckedCollateral::check(tdx_.collateral).value();
  for (int i = 0; i < 400; ++i) {
    Bytes q = tdx_.quote;
    const std::size_t at = rng() % q.size();
    q[at] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    auto parsed = parse_quote(q);
    if (!parsed) continue;
    auto verdict = verify_quote(*parsed, collateral, kInsideWindow);
    if (at < 1258) {
      EXPECT_FALSE(verdict.ok()) << "byte " << at;
    }
  }
}

TEST_F(DcapTest, MalformedQuotesAreRefusedByName) {
  const auto error = [](Bytes q) {
    auto r = parse_quote(q);
    return r.ok() ? std::string("parsed") : r.error().message;
  };
  Bytes q = tdx_.quote;
  q[0] = 7;
  EXPECT_EQ(error(q), "quote: header: version 7 is not 3, 4 or 5");
  q = tdx_.quote;
  q[2] = 3;
  EXPECT_EQ(error(q), "quote: header: attestation key type 3 is not ECDSA P-256 (2)");
  q = tdx_.quote;
  q[4] = 0x82;
  EXPECT_EQ(error(q), "quote: header: TEE type 130 with version 4");
  q = sgx_.quote;
  q[4] = 0x81;  // version 3 is SGX only
  EXPECT_EQ(error(q), "quote: header: TEE type 129 with version 3");
  q = tdx_.quote;
  q[12] ^= 1;
  EXPECT_EQ(error(q), "quote: header: the quoting enclave's vendor is not Intel");
  // A truncated signature section; trailing bytes that are not zero padding.
  EXPECT_EQ(error(Bytes(tdx_.quote.begin(), tdx_.quote.begin() + 4000)),
            "quote: signature data: 4300 bytes announced, 3364 present");
  EXPECT_EQ(error(Bytes(sgx_.quote.begin(), sgx_.quote.end() - 1)),
            "quote: signature data: 4164 bytes announced, 4163 present");
  q = tdx_.quote;
  q.back() = 1;
  EXPECT_EQ(error(q), "quote: trailing bytes: non-zero bytes after the signature data");
  // A wrong certification data type, outer and inner.
  q = tdx_.quote;
  q[764] = 5;
  EXPECT_EQ(error(q), "quote: certification data: type 5 is not QE report certification data (6)");
  q = tdx_.quote;
  q[1252] = 4;
  EXPECT_EQ(error(q), "quote: certification data: type 4 is not a PCK certificate chain (5)");
  q = sgx_.quote;
  q[1046] = 6;
  EXPECT_EQ(error(q), "quote: certification data: type 6 is not a PCK certificate chain (5)");
  // Every truncation is refused, never read past.
  for (std::size_t n = 0; n < sgx_.quote.size(); n += 7) {
    EXPECT_FALSE(parse_quote(ByteSpan(sgx_.quote).first(n)).ok()) << n;
  }
  EXPECT_FALSE(parse_quote(Bytes(kMaxQuoteBytes + 1, 0)).ok());
}

TEST_F(DcapTest, CollateralForAnotherPlatformOrTeeIsRefused) {
  // An SGX quote against TDX collateral, and the reverse.
  auto r = verify(sgx_.quote, tdx_.collateral);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "collateral_mismatch: the quote is sgx, the collateral tdx");
  // An SGX QE identity in TDX collateral: refused when loaded.
  Collateral mixed = tdx_.collateral;
  mixed.qe_identity = sgx_.collateral.qe_identity;
  mixed.qe_identity_signature = sgx_.collateral.qe_identity_signature;
  auto c = CheckedCollateral::check(mixed);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "collateral_mismatch: the TCB info is for tdx, the QE identity for sgx");
  // TCB info whose signature does not cover what is served.
  Collateral edited = tdx_.collateral;
  edited.tcb_info.replace(edited.tcb_info.find("OutOfDate"), 9, "UpToDate ");
  c = CheckedCollateral::check(edited);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "collateral_invalid: tcb_info_signature: does not verify over tcb_info");
  // The TCB info re-serialised (the same JSON, other whitespace) no longer verifies either.
  edited = tdx_.collateral;
  edited.tcb_info.insert(1, " ");
  EXPECT_FALSE(CheckedCollateral::check(edited).ok());
}

// The synthetic world (tests/support/synthetic_dcap.h): quotes in the real
// formats under a root of the tests' own.
constexpr std::int64_t kNow = 1'790'000'000;

Result<Verdict> verify_synthetic(const test::SyntheticDcap& world, ByteSpan quote, std::int64_t at = kNow,
                                 std::optional<Bytes> root = std::nullopt) {
  VIGIL_ASSIGN_OR_RETURN(Quote q, parse_quote(quote));
  VIGIL_ASSIGN_OR_RETURN(CheckedCollateral c,
                         CheckedCollateral::check(world.collateral(), root ? *root : world.root_der()));
  return verify_quote(q, c, at);
}
std::string refusal(const Result<Verdict>& r) { return r.ok() ? "verified" : r.error().message; }

TEST(SyntheticDcapTest, QuotesInBothFormatsVerifyUnderTheirOwnRoot) {
  const test::SyntheticDcap tdx(Tee::kTdx, kNow);
  auto verdict = verify_synthetic(tdx, tdx.quote(tdx.td_report()));
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  EXPECT_EQ(verdict->status, TcbStatus::kUpToDate);
  const test::SyntheticDcap sgx(Tee::kSgx, kNow);
  verdict = verify_synthetic(sgx, sgx.quote(sgx.enclave_report()));
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  EXPECT_EQ(verdict->tee, Tee::kSgx);
  // The collateral JSON the world writes is what nodes load.
  auto parsed = parse_collateral_json(tdx.collateral_json());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(CheckedCollateral::check(*parsed, tdx.root_der()).ok());
}

TEST(SyntheticDcapTest, VersionFiveQuotesWithTd10AndTd15BodiesVerify) {
  const test::SyntheticDcap world(Tee::kTdx, kNow);
  TdReport td = world.td_report();
  auto parsed = parse_quote(world.quote_v5(td));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->version, 5);
  EXPECT_FALSE(std::get<TdReport>(parsed->report).tee_tcb_svn2.has_value());
  EXPECT_TRUE(verify_synthetic(world, world.quote_v5(td)).ok());
  td.tee_tcb_svn2.emplace().fill(3);
  td.mr_service_td.emplace().fill(0x5a);
  parsed = parse_quote(world.quote_v5(td));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(std::get<TdReport>(parsed->report).mr_service_td, td.mr_service_td);
  EXPECT_EQ(std::get<TdReport>(parsed->report).rtmr, td.rtmr);
  auto verdict = verify_synthetic(world, world.quote_v5(td));
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  // A body descriptor that does not match its body.
  Bytes bad = world.quote_v5(world.td_report());
  bad[48] = 3;  // TD 1.5 announced, 584 bytes given
  EXPECT_EQ(parse_quote(bad).error().message, "quote: body: type 3 of 584 bytes");
}

TEST(SyntheticDcapTest, CollateralForAnotherFmspcIsAMismatch) {
  test::SyntheticDcap world(Tee::kTdx, kNow);
  world.set_collateral_fmspc({0x00, 0x90, 0x6e, 0xa1, 0x00, 0x00});
  EXPECT_EQ(refusal(verify_synthetic(world, world.quote(world.td_report()))),
            "collateral_mismatch: the collateral is for FMSPC 00906ea10000, the quote's platform is 90c06f000000");
}

TEST(SyntheticDcapTest, ARevokedPckCertificateIsRefused) {
  test::SyntheticDcap world(Tee::kTdx, kNow);
  const Bytes quote = world.quote(world.td_report());
  world.revoke_pck_certificate();
  EXPECT_EQ(refusal(verify_synthetic(world, quote)),
            "quote_invalid: PCK certificate chain: certificate revoked (certificate 0 of the chain)");
}

TEST(SyntheticDcapTest, AChainToAnotherRootIsRefused) {
  const test::SyntheticDcap world(Tee::kTdx, kNow), other(Tee::kTdx, kNow);
  // The quote's chain carries its own root; only the pinned one counts.
  const Bytes quote = other.quote(other.td_report());
  EXPECT_EQ(refusal(verify_synthetic(world, quote)),
            "collateral_mismatch: the quote's PCK chain is not under the root of this collateral");
  // Collateral under another root than the pinned one (the default: Intel's).
  auto c = CheckedCollateral::check(world.collateral());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.error().message.starts_with("collateral_invalid: ")) << c.error().message;
  // A root that is not a self-signed certificate.
  EXPECT_FALSE(CheckedCollateral::check(world.collateral(), Bytes{0x30, 0x00}).ok());
}

TEST(SyntheticDcapTest, TcbInfoPastItsNextUpdateIsExpired) {
  test::SyntheticDcap world(Tee::kTdx, kNow);
  world.set_tcb_info_next_update(kNow + 3600);
  const Bytes quote = world.quote(world.td_report());
  EXPECT_TRUE(verify_synthetic(world, quote, kNow + 3599).ok());
  EXPECT_TRUE(
      refusal(verify_synthetic(world, quote, kNow + 3600)).starts_with("collateral_expired: tcb_info is valid until"))
      << refusal(verify_synthetic(world, quote, kNow + 3600));
}

TEST(SyntheticDcapTest, ThePlatformsLevelGivesTheStatusAndAdvisories) {
  test::SyntheticDcap world(Tee::kTdx, kNow);
  world.set_tcb_status(TcbStatus::kSwHardeningNeeded);
  auto verdict = verify_synthetic(world, world.quote(world.td_report()));
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  EXPECT_EQ(verdict->status, TcbStatus::kSwHardeningNeeded);
  EXPECT_EQ(verdict->advisories, std::vector<std::string>{"INTEL-SA-00000"});
  world.set_tcb_status(TcbStatus::kRevoked);
  EXPECT_EQ(refusal(verify_synthetic(world, world.quote(world.td_report()))),
            "quote_invalid: TCB: the platform's TCB level is revoked");
  // A TDX module of a version the TCB info does not know.
  world.set_tcb_status(TcbStatus::kUpToDate);
  TdReport td = world.td_report();
  td.tee_tcb_svn[1] = 2;
  EXPECT_EQ(refusal(verify_synthetic(world, world.quote(td))),
            "quote_invalid: TDX module: the TCB info has no identity TDX_02");
  td = world.td_report();
  td.mr_signer_seam[0] = 1;
  EXPECT_EQ(refusal(verify_synthetic(world, world.quote(td))), "quote_invalid: TDX module: MRSIGNERSEAM differs");
}

// Found by review: TCB info and QE identity signed by a key that is not the
// TCB Signing key (a leaked PCK key) would let an old platform pass as up to date.
TEST(SyntheticDcapTest, OnlyTheTcbSigningCertificateSignsCollateral) {
  test::SyntheticDcap world(Tee::kTdx, kNow);
  world.sign_collateral_with_pck_key();
  auto c = CheckedCollateral::check(world.collateral(), world.root_der());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "collateral_invalid: tcb_info_issuer_chain: not the SGX TCB Signing certificate issued by the root");
}

// The QE identity's level converges with the platform's as Intel's library
// does: anything but UpToDate makes the platform out of date.
TEST(SyntheticDcapTest, AnOutOfDateQuotingEnclaveMakesThePlatformOutOfDate) {
  test::SyntheticDcap world(Tee::kTdx, kNow);
  world.set_qe_status(TcbStatus::kOutOfDate);
  auto verdict = verify_synthetic(world, world.quote(world.td_report()));
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  EXPECT_EQ(verdict->status, TcbStatus::kOutOfDate);
  world.set_qe_status(TcbStatus::kConfigurationNeeded);
  verdict = verify_synthetic(world, world.quote(world.td_report()));
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  EXPECT_EQ(verdict->status, TcbStatus::kOutOfDate);
  world.set_qe_status(TcbStatus::kSwHardeningNeeded);  // not a status a QE level can have
  EXPECT_TRUE(refusal(verify_synthetic(world, world.quote(world.td_report())))
                  .starts_with("collateral_invalid: qe_identity: tcbLevels[0].tcbStatus: SWHardeningNeeded"))
      << refusal(verify_synthetic(world, world.quote(world.td_report())));
}

TEST_F(DcapTest, MalformedCollateralJsonNamesTheField) {
  EXPECT_EQ(parse_collateral_json("[]").error().message, "collateral: not a JSON object");
  EXPECT_EQ(parse_collateral_json("{").error().message, "collateral: not a JSON object");
  EXPECT_EQ(parse_collateral_json("{}").error().message, "collateral: pck_crl_issuer_chain: missing or not a string");
  const auto text = read_shared("dcap/tdx_quote_collateral.json");
  ASSERT_TRUE(text.has_value());
  auto doc = nlohmann::json::parse(*text);
  doc["pck_crl"] = "zz";
  EXPECT_EQ(parse_collateral_json(doc.dump()).error().message, "collateral: pck_crl: not hex");
  doc = nlohmann::json::parse(*text);
  doc["root_ca_crl"] = "00";
  auto c = CheckedCollateral::check(parse_collateral_json(doc.dump()).value());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "collateral_invalid: root_ca_crl: not one DER CRL");
}

}  // namespace
}  // namespace vigil::dcap
