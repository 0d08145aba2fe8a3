#include "proxy/explain/explain.hpp"

#include "proxy/account_policy.hpp"
#include "proxy/certificate_mapping.hpp"
#include "proxy/revocation/checker.hpp"
#include "proxy/tls/alt_security_identity.hpp"
#include "proxy/tls/pem.hpp"
#include "proxy/tls/upn.hpp"
#include "proxy/tls/x509_facts.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <openssl/objects.h>

#include <ctime>

namespace cba::explain {
namespace {

std::string time_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return "(unreadable time)";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string time_text(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string object_name(const ASN1_OBJECT* object) {
  const int nid = OBJ_obj2nid(object);
  char oid[128];
  OBJ_obj2txt(oid, sizeof oid, object, 1);
  if (nid != NID_undef && OBJ_nid2sn(nid) != nullptr) return std::string(OBJ_nid2sn(nid)) + " (" + oid + ")";
  return oid;
}

std::string leaf_ekus(X509* leaf) {
  const tls::extended_key_usage_ptr ekus{
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(leaf, NID_ext_key_usage, nullptr, nullptr))};
  if (!ekus) return "none";
  std::vector<std::string> names;
  for (int i = 0; i < sk_ASN1_OBJECT_num(ekus.get()); ++i) names.push_back(object_name(sk_ASN1_OBJECT_value(ekus.get(), i)));
  return join(names);
}

// The chain OpenSSL builds from the same inputs the policy uses (roots as anchors; the presented
// certificates and trust.intermediates as candidates), time ignored: for display and for the
// revocation check. Empty when no path to a root exists. The verdict itself is policy.verify's.
std::vector<tls::x509_ptr> build_chain(const inputs& in, X509* leaf, const std::vector<X509*>& presented) {
  const tls::clear_errors_on_exit guard;
  std::vector<tls::x509_ptr> intermediates;
  if (!in.config.trust.intermediates.empty()) {
    if (auto read = tls::read_certificates(in.config.trust.intermediates)) intermediates = std::move(read.value);
  }
  tls::x509_stack_view_ptr untrusted{sk_X509_new_null()};
  tls::x509_store_ctx_ptr ctx{X509_STORE_CTX_new()};
  std::vector<tls::x509_ptr> chain;
  if (!untrusted || !ctx) return chain;
  for (X509* cert : presented) sk_X509_push(untrusted.get(), cert);
  for (const auto& cert : intermediates) sk_X509_push(untrusted.get(), cert.get());
  if (X509_STORE_CTX_init(ctx.get(), in.policy.roots(), leaf, untrusted.get()) != 1) return chain;
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_ANY);
  if (X509_verify_cert(ctx.get()) != 1) return chain;
  STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(built); ++i) chain.push_back(tls::up_ref(sk_X509_value(built, i)));
  return chain;
}

// Which certificate-policy step a verdict's reason belongs to.
std::string_view policy_step_of(errc reason) {
  switch (reason) {
    case errc::certificate_expired:
    case errc::certificate_not_yet_valid:
      return "validity";
    case errc::eku_missing:
      return "eku";
    case errc::issuer_not_ntauth:
      return "ntauth";
    default:
      return "chain";
  }
}

class tracer {
 public:
  explicit tracer(report& r) : r_(r) {}
  bool refused() const { return r_.reason != errc::ok; }
  void add(std::string name, step_status status, std::string detail) {
    r_.steps.push_back({std::move(name), status, std::move(detail)});
  }
  void ok(std::string name, std::string detail) { add(std::move(name), step_status::ok, std::move(detail)); }
  void skip(std::string name) { add(std::move(name), step_status::skip, "not reached"); }
  void fail(std::string name, errc reason, std::string detail, bool in_handshake = false) {
    add(std::move(name), step_status::fail, std::string(reason_code(reason)) + ": " + detail);
    if (r_.reason == errc::ok) {
      r_.reason = reason;
      r_.reason_detail = std::move(detail);
      r_.in_handshake = in_handshake;
    }
  }

 private:
  report& r_;
};

void trace_certificate_policy(const inputs& in, tracer& t, X509* leaf, const std::vector<X509*>& presented,
                              const std::vector<tls::x509_ptr>& chain, std::chrono::system_clock::time_point now) {
  const auto verdict = in.policy.verify(leaf, presented, std::chrono::system_clock::to_time_t(now));
  const std::string_view failed = verdict.reason == errc::ok ? "" : policy_step_of(verdict.reason);
  bool reached = true;
  const auto decide = [&](std::string_view name, const std::string& ok_detail) {
    if (!reached) return t.skip(std::string(name));
    if (failed == name) {
      reached = false;
      return t.fail(std::string(name), verdict.reason, verdict.detail, true);
    }
    t.ok(std::string(name), ok_detail);
  };

  std::string chain_text;
  for (const auto& cert : chain) chain_text += (chain_text.empty() ? "" : " <- ") + quoted(tls::subject_string(cert.get()));
  const auto depth = chain.empty() ? 0 : chain.size() - 1;
  decide("chain", chain_text + " (" + std::to_string(depth) + " CA certificate(s) above the leaf; trust.max_depth " +
                      std::to_string(in.config.trust.max_depth) + ")");
  decide("validity", time_text(X509_get0_notBefore(leaf)) + " .. " + time_text(X509_get0_notAfter(leaf)) + ", now " +
                         time_text(now));
  decide("eku", leaf_ekus(leaf) + " (trust.required_ekus: " + join(in.config.trust.required_ekus) + ")");
  if (in.config.trust.ntauth.empty()) {
    decide("ntauth", "not configured (trust.ntauth): any issuer under trust.roots may log users on");
  } else {
    const std::string issuer = chain.size() >= 2 ? quoted(tls::subject_string(chain[1].get())) : "(none)";
    decide("ntauth", "issuer " + issuer + " is in trust.ntauth");
  }
}

void trace_revocation(const inputs& in, tracer& t, const std::vector<tls::x509_ptr>& chain) {
  if (t.refused()) return t.skip("revocation");
  if (in.revocation == nullptr || !in.revocation->enabled()) {
    return t.ok("revocation", "off (trust.revocation.mode)");
  }
  revocation::checker::chain copy;
  for (const auto& cert : chain) copy.push_back(tls::up_ref(cert.get()));
  const auto verdict = in.revocation->check_blocking(std::move(copy));
  std::string detail = std::string(revocation::status_name(verdict.status));
  if (!verdict.source.empty()) detail += " from " + verdict.source;
  detail += ", age " + std::to_string(verdict.age.count()) + "s";
  if (!verdict.detail.empty()) detail += " (" + verdict.detail + ")";
  detail += in.revocation->mode() == config::revocation_mode::soft ? "; trust.revocation.mode: soft"
                                                                   : "; trust.revocation.mode: hard";
  if (verdict.admitted()) return t.ok("revocation", detail);
  t.fail("revocation", verdict.reason, detail);
}

void trace_identity(const inputs& in, tracer& t, X509* leaf, std::chrono::system_clock::time_point now,
                    report& r) {
  const char* names[] = {"upn", "sid", "directory", "account", "mapping"};
  if (t.refused()) {
    for (const char* name : names) t.skip(name);
    return;
  }
  std::vector<std::string> sources;
  for (auto source : in.config.identity.upn_sources)
    sources.push_back(source == config::upn_source::san_upn ? "san_upn" : "subject_upn");
  const auto selection = tls::select_upn(leaf, in.config.identity);
  if (selection.reason != errc::ok) {
    t.fail("upn", selection.reason, selection.detail);
    for (const char* name : {"sid", "directory", "account", "mapping"}) t.skip(name);
    return;
  }
  t.ok("upn", selection.upn + " (identity.upn_sources: " + join(sources) + ")");

  const auto facts = read_mapping_facts(leaf);
  if (facts.sid.reason != errc::ok) {
    // Refused by the mapping below, after the lookup, as a connection would be.
    t.add("sid", step_status::fail, std::string(reason_code(facts.sid.reason)) + ": " + facts.sid.detail);
  } else {
    t.ok("sid", facts.sid.sid.empty() ? "none in the certificate (no SID extension, no SID URL)"
                                      : facts.sid.sid + " (" + facts.sid.source + ")");
  }

  std::optional<ldap::lookup_result> found;
  boost::asio::io_context io;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        auto result = co_await in.directory.lookup(selection.upn);
        found.emplace(std::move(result));
      },
      boost::asio::detached);
  io.run();
  if (!found || !found->has_value()) {
    const auto ec = found ? found->error() : make_error_code(ldap::errc::unavailable);
    const errc reason = ec == ldap::errc::not_found   ? errc::account_unknown
                        : ec == ldap::errc::ambiguous ? errc::account_ambiguous
                                                      : errc::directory_unavailable;
    t.fail("directory", reason, "lookup of '" + selection.upn + "': " + ec.message());
    t.skip("account");
    t.skip("mapping");
    return;
  }
  const auto& account = found->value();
  t.ok("directory", "account " + account.sam_account_name + ", DN " + quoted(account.dn) + ", SID " +
                        (account.sid.empty() ? "(none)" : account.sid) + ", disabled " +
                        (account.disabled ? "yes" : "no") + ", locked " + (account.locked ? "yes" : "no") +
                        ", expires " + (account.expires ? time_text(*account.expires) : std::string("never")));

  std::vector<std::string> checks;
  for (auto check : in.config.directory.account_checks) {
    checks.push_back(check == config::account_check::disabled ? "disabled"
                     : check == config::account_check::locked ? "locked"
                                                              : "expired");
  }
  const errc account_reason = check_account(account, in.config.directory, now);
  if (account_reason != errc::ok) {
    t.fail("account", account_reason, "account " + account.sam_account_name + " (directory.account_checks: " +
                                          join(checks) + ")");
    t.skip("mapping");
    return;
  }
  t.ok("account", "passes directory.account_checks: " + (checks.empty() ? std::string("(none)") : join(checks)));

  const auto mode = in.config.directory.certificate_mapping;
  const auto decision = decide_mapping(facts, account, mode);
  std::vector<std::string> candidates;
  for (const auto& c : facts.candidates) {
    candidates.push_back(std::string(tls::altsecid_kind_name(c.kind)) + (tls::is_strong(c.kind) ? " (strong) " : " (weak) ") +
                         c.value);
  }
  std::string detail = decision.reason != errc::ok ? "refused"
                       : decision.kind + (decision.strong ? " (strong)" : " (weak)");
  detail += " under certificate_mapping: " + std::string(mapping_mode_name(mode));
  if (!decision.matched.empty()) detail += "; matched " + quoted(decision.matched);
  if (!decision.detail.empty()) detail += "; " + decision.detail;
  detail += "; certificate candidates: [" + join(candidates, "; ") + "]; account altSecurityIdentities: [" +
            join(account.alt_security_identities, "; ") + "]";
  if (decision.reason != errc::ok) return t.fail("mapping", decision.reason, detail);
  if (decision.warning) detail += "; admitted with a weak_certificate_mapping warning";
  t.ok("mapping", detail);
  r.account = account.sam_account_name + (account.sid.empty() ? "" : " (" + account.sid + ")");
}

}  // namespace

report explain_certificate(const inputs& in, X509* leaf, const std::vector<X509*>& chain,
                           std::chrono::system_clock::time_point now) {
  report r;
  r.certificate = quoted(tls::subject_string(leaf)) + ", issuer " + quoted(tls::issuer_string(leaf)) + ", serial " +
                  tls::serial_hex(leaf) + ", sha256 " + tls::sha256_hex(leaf);
  tracer t(r);
  const auto built = build_chain(in, leaf, chain);
  trace_certificate_policy(in, t, leaf, chain, built, now);
  trace_revocation(in, t, built);
  trace_identity(in, t, leaf, now, r);
  return r;
}

std::string format_report(const report& r) {
  std::string out = "certificate " + r.certificate + "\n";
  for (const auto& s : r.steps) {
    std::string status = s.status == step_status::ok ? "ok" : s.status == step_status::fail ? "FAIL" : "skip";
    status.resize(5, ' ');
    std::string name = s.name;
    if (name.size() < 11) name.resize(11, ' ');
    out += status + name + s.detail + "\n";
  }
  if (r.admitted()) {
    out += "verdict admitted as " + r.account + "\n";
  } else if (r.in_handshake) {
    out += "verdict refused: " + std::string(reason_code(r.reason)) +
           " (the TLS handshake fails: the client gets no HTTP response)\n";
  } else {
    out += "verdict refused: " + std::string(reason_code(r.reason)) + " (HTTP " +
           std::to_string(to_http_status(r.reason)) + ")\n";
  }
  return out;
}

}  // namespace cba::explain
