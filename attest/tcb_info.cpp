#include "tcb_info.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <tuple>

#include "x509.h"

namespace vigil::dcap::internal {
namespace {

using nlohmann::json;

// Reads fields of Intel's JSON without exceptions; every error names the
// path from the document's root.
class Fields {
 public:
  Fields(const json& object, std::string where) : object_(object), where_(std::move(where)) {}

  Error bad(const std::string& field, const std::string& why) const {
    return make_error(ErrorCode::kBadEncoding, where_ + field + ": " + why);
  }
  const json* find(const std::string& field) const {
    if (!object_.is_object()) return nullptr;
    auto it = object_.find(field);
    return it == object_.end() ? nullptr : &*it;
  }
  Result<std::string> string(const std::string& field) const {
    const json* v = find(field);
    if (v == nullptr || !v->is_string()) return bad(field, "missing or not a string");
    return v->get<std::string>();
  }
  Result<std::uint64_t> number(const std::string& field, std::uint64_t max) const {
    const json* v = find(field);
    if (v == nullptr || !v->is_number_unsigned() || v->get<std::uint64_t>() > max) {
      return bad(field, "missing or not an integer from 0 to " + std::to_string(max));
    }
    return v->get<std::uint64_t>();
  }
  template <std::size_t N>
  Result<std::array<std::uint8_t, N>> hex(const std::string& field) const {
    VIGIL_ASSIGN_OR_RETURN(std::string text, string(field));
    auto bytes = from_hex_exact(text, N);
    if (!bytes) return bad(field, "not " + std::to_string(N) + " bytes of hex");
    std::array<std::uint8_t, N> out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
  }
  Result<std::int64_t> date(const std::string& field) const {
    VIGIL_ASSIGN_OR_RETURN(std::string text, string(field));
    auto t = parse_utc(text);
    if (!t) return bad(field, t.error().message);
    return *t;
  }
  Result<const json*> array(const std::string& field, std::size_t max) const {
    const json* v = find(field);
    if (v == nullptr || !v->is_array() || v->size() > max) {
      return bad(field, "missing or not an array of at most " + std::to_string(max));
    }
    return v;
  }
  Result<TcbStatus> status(const std::string& field) const {
    VIGIL_ASSIGN_OR_RETURN(std::string text, string(field));
    auto s = parse_tcb_status(text);
    if (!s) return bad(field, "unknown status \"" + text + "\"");
    return *s;
  }
  Result<std::vector<std::string>> advisories() const {
    std::vector<std::string> out;
    const json* v = find("advisoryIDs");
    if (v == nullptr) return out;
    if (!v->is_array() || v->size() > kMaxTcbLevels) return bad("advisoryIDs", "not an array of at most 256");
    for (const json& id : *v) {
      if (!id.is_string() || id.get<std::string>().size() > 64)
        return bad("advisoryIDs", "not a list of short strings");
      out.push_back(id.get<std::string>());
    }
    return out;
  }
  std::string at(const std::string& field) const { return where_ + field; }

 private:
  const json& object_;
  std::string where_;
};

Result<json> parse_document(std::string_view text, const std::string& what) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(ErrorCode::kBadEncoding, what + ": not a JSON object");
  }
  return doc;
}

// The statuses Intel's verification library allows for a QE identity's
// and a TDX module's levels (a platform's may be any).
constexpr std::array kQeStatuses = {TcbStatus::kUpToDate, TcbStatus::kConfigurationNeeded, TcbStatus::kOutOfDate,
                                    TcbStatus::kOutOfDateConfigurationNeeded, TcbStatus::kRevoked};
constexpr std::array kModuleStatuses = {TcbStatus::kUpToDate, TcbStatus::kOutOfDate, TcbStatus::kRevoked};

template <std::size_t N>
Result<std::vector<IsvLevel>> isv_levels(const Fields& parent, const std::array<TcbStatus, N>& allowed) {
  VIGIL_ASSIGN_OR_RETURN(const json* list, parent.array("tcbLevels", kMaxTcbLevels));
  std::vector<IsvLevel> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const Fields level((*list)[i], parent.at("tcbLevels[" + std::to_string(i) + "]."));
    const json* tcb = level.find("tcb");
    if (tcb == nullptr) return level.bad("tcb", "missing");
    IsvLevel l;
    VIGIL_ASSIGN_OR_RETURN(std::uint64_t svn, Fields(*tcb, level.at("tcb.")).number("isvsvn", 65535));
    l.isv_svn = static_cast<std::uint16_t>(svn);
    VIGIL_ASSIGN_OR_RETURN(l.status, level.status("tcbStatus"));
    if (std::find(allowed.begin(), allowed.end(), l.status) == allowed.end()) {
      return level.bad("tcbStatus", std::string(tcb_status_name(l.status)) + " is not a status of this identity");
    }
    VIGIL_ASSIGN_OR_RETURN(l.advisories, level.advisories());
    if (std::any_of(out.begin(), out.end(), [&](const IsvLevel& o) { return o.isv_svn == l.isv_svn; })) {
      return level.bad("tcb", "a second level for ISV SVN " + std::to_string(l.isv_svn));
    }
    out.push_back(std::move(l));
  }
  std::stable_sort(out.begin(), out.end(), [](const IsvLevel& a, const IsvLevel& b) { return a.isv_svn > b.isv_svn; });
  return out;
}

// 16 SVNs as {"svn": n, ...} objects.
Result<std::array<std::uint8_t, 16>> components(const Fields& tcb, const std::string& field) {
  VIGIL_ASSIGN_OR_RETURN(const json* list, tcb.array(field, 16));
  if (list->size() != 16) return tcb.bad(field, "not 16 components");
  std::array<std::uint8_t, 16> out{};
  for (std::size_t i = 0; i < 16; ++i) {
    VIGIL_ASSIGN_OR_RETURN(std::uint64_t svn,
                           Fields((*list)[i], tcb.at(field + "[" + std::to_string(i) + "].")).number("svn", 255));
    out[i] = static_cast<std::uint8_t>(svn);
  }
  return out;
}

std::uint64_t le64(const std::array<std::uint8_t, 8>& b) {
  std::uint64_t v = 0;
  for (std::size_t i = 8; i-- > 0;) v = (v << 8) | b[i];
  return v;
}
std::uint32_t le32(const std::array<std::uint8_t, 4>& b) {
  return static_cast<std::uint32_t>(b[0]) | (static_cast<std::uint32_t>(b[1]) << 8) |
         (static_cast<std::uint32_t>(b[2]) << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
}

// A TDX module's signer and attributes; the hex is in the order the bytes
// appear in the TD report.
Result<TdxModuleIdentity> module_identity(const Fields& f) {
  TdxModuleIdentity m;
  VIGIL_ASSIGN_OR_RETURN(m.mr_signer, f.hex<48>("mrsigner"));
  VIGIL_ASSIGN_OR_RETURN(auto attributes, f.hex<8>("attributes"));
  VIGIL_ASSIGN_OR_RETURN(auto mask, f.hex<8>("attributesMask"));
  m.attributes = le64(attributes);
  m.attributes_mask = le64(mask);
  return m;
}

}  // namespace

Result<TcbInfo> parse_tcb_info(std::string_view text) {
  VIGIL_ASSIGN_OR_RETURN(json doc, parse_document(text, "tcb_info"));
  const Fields f(doc, "tcb_info: ");
  TcbInfo info;
  VIGIL_ASSIGN_OR_RETURN(std::string id, f.string("id"));
  if (id == "SGX") {
    info.tee = Tee::kSgx;
  } else if (id == "TDX") {
    info.tee = Tee::kTdx;
  } else {
    return f.bad("id", "\"" + id + "\" is neither SGX nor TDX");
  }
  VIGIL_ASSIGN_OR_RETURN(std::uint64_t version, f.number("version", 1000));
  if (version != 3) return f.bad("version", std::to_string(version) + " is not 3 (PCS API v4)");
  VIGIL_ASSIGN_OR_RETURN(info.issue_date, f.date("issueDate"));
  VIGIL_ASSIGN_OR_RETURN(info.next_update, f.date("nextUpdate"));
  VIGIL_ASSIGN_OR_RETURN(info.fmspc, f.hex<6>("fmspc"));
  VIGIL_ASSIGN_OR_RETURN(info.pce_id, f.hex<2>("pceId"));
  VIGIL_ASSIGN_OR_RETURN(std::uint64_t tcb_type, f.number("tcbType", 1000));
  if (tcb_type != 0) return f.bad("tcbType", std::to_string(tcb_type) + " is not 0");

  if (info.tee == Tee::kTdx) {
    const json* module = f.find("tdxModule");
    if (module == nullptr) return f.bad("tdxModule", "missing");
    VIGIL_ASSIGN_OR_RETURN(info.tdx_module, module_identity(Fields(*module, f.at("tdxModule."))));
    if (f.find("tdxModuleIdentities") != nullptr) {
      VIGIL_ASSIGN_OR_RETURN(const json* list, f.array("tdxModuleIdentities", kMaxTcbLevels));
      for (std::size_t i = 0; i < list->size(); ++i) {
        const Fields m((*list)[i], f.at("tdxModuleIdentities[" + std::to_string(i) + "]."));
        VIGIL_ASSIGN_OR_RETURN(TdxModuleIdentity identity, module_identity(m));
        VIGIL_ASSIGN_OR_RETURN(identity.id, m.string("id"));
        VIGIL_ASSIGN_OR_RETURN(identity.levels, isv_levels(m, kModuleStatuses));
        info.tdx_module_identities.push_back(std::move(identity));
      }
    }
  }

  VIGIL_ASSIGN_OR_RETURN(const json* levels, f.array("tcbLevels", kMaxTcbLevels));
  for (std::size_t i = 0; i < levels->size(); ++i) {
    const Fields level((*levels)[i], f.at("tcbLevels[" + std::to_string(i) + "]."));
    const json* tcb_json = level.find("tcb");
    if (tcb_json == nullptr) return level.bad("tcb", "missing");
    const Fields tcb(*tcb_json, level.at("tcb."));
    TcbLevel l;
    VIGIL_ASSIGN_OR_RETURN(l.sgx_svn, components(tcb, "sgxtcbcomponents"));
    VIGIL_ASSIGN_OR_RETURN(std::uint64_t pce_svn, tcb.number("pcesvn", 65535));
    l.pce_svn = static_cast<std::uint16_t>(pce_svn);
    if (info.tee == Tee::kTdx) {
      VIGIL_ASSIGN_OR_RETURN(l.tdx_svn, components(tcb, "tdxtcbcomponents"));
    }
    VIGIL_ASSIGN_OR_RETURN(l.status, level.status("tcbStatus"));
    VIGIL_ASSIGN_OR_RETURN(l.advisories, level.advisories());
    info.levels.push_back(std::move(l));
  }
  if (info.levels.empty()) return f.bad("tcbLevels", "empty");
  // Highest first, as Intel's verification library orders them, whatever
  // the order in the JSON: the level search takes the first one reached.
  std::stable_sort(info.levels.begin(), info.levels.end(), [](const TcbLevel& a, const TcbLevel& b) {
    return std::tie(a.sgx_svn, a.pce_svn, a.tdx_svn) > std::tie(b.sgx_svn, b.pce_svn, b.tdx_svn);
  });
  const auto same = [](const TcbLevel& a, const TcbLevel& b) {
    return std::tie(a.sgx_svn, a.pce_svn, a.tdx_svn) == std::tie(b.sgx_svn, b.pce_svn, b.tdx_svn);
  };
  if (std::adjacent_find(info.levels.begin(), info.levels.end(), same) != info.levels.end()) {
    return f.bad("tcbLevels", "two levels with the same TCB");
  }
  return info;
}

Result<QeIdentity> parse_qe_identity(std::string_view text) {
  VIGIL_ASSIGN_OR_RETURN(json doc, parse_document(text, "qe_identity"));
  const Fields f(doc, "qe_identity: ");
  QeIdentity qe;
  VIGIL_ASSIGN_OR_RETURN(std::string id, f.string("id"));
  if (id == "QE") {
    qe.tee = Tee::kSgx;
  } else if (id == "TD_QE") {
    qe.tee = Tee::kTdx;
  } else {
    return f.bad("id", "\"" + id + "\" is neither QE nor TD_QE");
  }
  VIGIL_ASSIGN_OR_RETURN(std::uint64_t version, f.number("version", 1000));
  if (version != 2) return f.bad("version", std::to_string(version) + " is not 2");
  VIGIL_ASSIGN_OR_RETURN(qe.issue_date, f.date("issueDate"));
  VIGIL_ASSIGN_OR_RETURN(qe.next_update, f.date("nextUpdate"));
  VIGIL_ASSIGN_OR_RETURN(auto misc, f.hex<4>("miscselect"));
  VIGIL_ASSIGN_OR_RETURN(auto misc_mask, f.hex<4>("miscselectMask"));
  qe.misc_select = le32(misc);
  qe.misc_select_mask = le32(misc_mask);
  VIGIL_ASSIGN_OR_RETURN(qe.attributes, f.hex<16>("attributes"));
  VIGIL_ASSIGN_OR_RETURN(qe.attributes_mask, f.hex<16>("attributesMask"));
  VIGIL_ASSIGN_OR_RETURN(qe.mr_signer, f.hex<32>("mrsigner"));
  VIGIL_ASSIGN_OR_RETURN(std::uint64_t prod, f.number("isvprodid", 65535));
  qe.isv_prod_id = static_cast<std::uint16_t>(prod);
  VIGIL_ASSIGN_OR_RETURN(qe.levels, isv_levels(f, kQeStatuses));
  if (qe.levels.empty()) return f.bad("tcbLevels", "empty");
  return qe;
}

const IsvLevel* isv_level(const std::vector<IsvLevel>& levels, std::uint16_t isv_svn) {
  for (const IsvLevel& level : levels) {
    if (isv_svn >= level.isv_svn) return &level;
  }
  return nullptr;
}

}  // namespace vigil::dcap::internal
