#include "proxy/tls/session_ticket_keys.hpp"

#include "proxy/tls/pem.hpp"
#include "proxy/tls/x509_facts.hpp"

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace cba::tls {
namespace {

using keys_keepalive = std::shared_ptr<session_ticket_keys>;

void free_keepalive(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<keys_keepalive*>(ptr);
}

// Process-wide, allocated once (see certificate_policy.cpp's verdict_index for why).
int keepalive_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_keepalive);
  return index;
}

const EVP_CIPHER* cipher_for(const ticket_key& key) {
  return key.aes_key.size() == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
}

bool set_hmac_key(EVP_MAC_CTX* mac, const ticket_key& key) {
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key.hmac_key.data()),
                                        key.hmac_key.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

}  // namespace

ticket_key::~ticket_key() {
  if (!hmac_key.empty()) OPENSSL_cleanse(hmac_key.data(), hmac_key.size());
  if (!aes_key.empty()) OPENSSL_cleanse(aes_key.data(), aes_key.size());
}

std::optional<ticket_key> parse_ticket_key(std::string_view bytes, std::string* error) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  ticket_key key;
  if (bytes.size() == 80) {
    std::copy(data, data + 16, key.name.begin());
    key.hmac_key.assign(data + 16, data + 48);
    key.aes_key.assign(data + 48, data + 80);
    return key;
  }
  if (bytes.size() == 48) {
    std::copy(data, data + 16, key.name.begin());
    key.aes_key.assign(data + 16, data + 32);
    key.hmac_key.assign(data + 32, data + 48);
    return key;
  }
  if (error != nullptr) {
    *error = "a ticket key file holds exactly 80 bytes (or nginx's legacy 48) of random data, this one has " +
             std::to_string(bytes.size()) + "; make one with: openssl rand 80 > FILE";
  }
  return std::nullopt;
}

std::shared_ptr<session_ticket_keys> session_ticket_keys::create(std::vector<std::string> key_files) {
  std::shared_ptr<session_ticket_keys> keys{new session_ticket_keys(std::move(key_files))};
  if (keys->files_.empty()) {
    ticket_key key;
    key.source = "random";
    key.hmac_key.resize(32);
    key.aes_key.resize(32);
    if (RAND_bytes(key.name.data(), static_cast<int>(key.name.size())) != 1 ||
        RAND_bytes(key.hmac_key.data(), 32) != 1 || RAND_bytes(key.aes_key.data(), 32) != 1) {
      throw std::runtime_error("session ticket key: no random bytes: " + openssl_error_string());
    }
    keys->keys_ = std::make_shared<const key_set>(key_set{std::move(key)});
    return keys;
  }
  std::string error;
  keys->keys_ = read_files(keys->files_, &error);
  if (!keys->keys_) throw std::runtime_error(error);
  return keys;
}

std::shared_ptr<const session_ticket_keys::key_set> session_ticket_keys::read_files(
    const std::vector<std::string>& files, std::string* error) {
  key_set set;
  for (const auto& file : files) {
    auto bytes = read_small_file(file);
    if (!bytes) {
      *error = "tls.session_tickets.key_files (" + file + "): " + bytes.error;
      return nullptr;
    }
    std::string problem;
    auto key = parse_ticket_key(bytes.value, &problem);
    OPENSSL_cleanse(bytes.value.data(), bytes.value.size());
    if (!key) {
      *error = "tls.session_tickets.key_files (" + file + "): " + problem;
      return nullptr;
    }
    for (const auto& other : set) {
      if (other.name == key->name) {
        *error = "tls.session_tickets.key_files: " + file + " and " + other.source +
                 " have the same key name (first 16 bytes); every key needs its own random bytes";
        return nullptr;
      }
    }
    key->source = file;
    set.push_back(std::move(*key));
  }
  return std::make_shared<const key_set>(std::move(set));
}

std::optional<std::string> session_ticket_keys::reload() {
  if (files_.empty()) return std::nullopt;
  std::string error;
  auto fresh = read_files(files_, &error);
  if (!fresh) return error + " (the previous ticket keys stay in use)";
  {
    const std::lock_guard lock(mutex_);
    keys_ = std::move(fresh);
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return std::nullopt;
}

std::shared_ptr<const session_ticket_keys::key_set> session_ticket_keys::current() const {
  const std::lock_guard lock(mutex_);
  return keys_;
}

std::vector<std::string> session_ticket_keys::key_names() const {
  std::vector<std::string> names;
  for (const auto& key : *current()) names.push_back(to_hex(key.name.data(), key.name.size()));
  return names;
}

void session_ticket_keys::install(SSL_CTX* ctx) {
  auto* previous = static_cast<keys_keepalive*>(SSL_CTX_get_ex_data(ctx, keepalive_index()));
  auto keepalive = std::make_unique<keys_keepalive>(shared_from_this());
  if (SSL_CTX_set_ex_data(ctx, keepalive_index(), keepalive.get()) != 1 ||
      SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &session_ticket_keys::callback) != 1) {
    throw std::runtime_error("cannot install the session ticket keys: " + openssl_error_string());
  }
  static_cast<void>(keepalive.release());
  delete previous;
}

int session_ticket_keys::callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                                  EVP_MAC_CTX* mac, int encrypt) {
  const auto* keepalive =
      static_cast<const keys_keepalive*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), keepalive_index()));
  if (keepalive == nullptr || !*keepalive) return encrypt != 0 ? -1 : 0;
  return (*keepalive)->encrypt_or_decrypt(name, iv, cipher, mac, encrypt);
}

// Return values are OpenSSL's: encrypt 1 ok, -1 error; decrypt 0 unknown key (full handshake),
// 1 ok, 2 ok but renew the ticket under the current encrypting key, -1 error.
int session_ticket_keys::encrypt_or_decrypt(unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                                            EVP_MAC_CTX* mac, int encrypt) const {
  const auto keys = current();
  if (!keys || keys->empty()) return encrypt != 0 ? -1 : 0;
  if (encrypt != 0) {
    const ticket_key& key = keys->front();
    const int iv_length = EVP_CIPHER_get_iv_length(cipher_for(key));
    if (iv_length <= 0 || RAND_bytes(iv, iv_length) != 1) return -1;
    std::copy(key.name.begin(), key.name.end(), name);
    if (EVP_EncryptInit_ex(cipher, cipher_for(key), nullptr, key.aes_key.data(), iv) != 1) return -1;
    return set_hmac_key(mac, key) ? 1 : -1;
  }
  for (std::size_t i = 0; i < keys->size(); ++i) {
    const ticket_key& key = (*keys)[i];
    if (!std::equal(key.name.begin(), key.name.end(), name)) continue;
    if (!set_hmac_key(mac, key)) return -1;
    if (EVP_DecryptInit_ex(cipher, cipher_for(key), nullptr, key.aes_key.data(), iv) != 1) return -1;
    return i == 0 ? 1 : 2;
  }
  return 0;
}

}  // namespace cba::tls
