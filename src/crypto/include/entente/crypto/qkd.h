// ETSI GS QKD 014 key delivery: a client for a key management entity (KME) REST API, and a
// small local KME simulator for tests.
//
// Client: GET {base}/api/v1/keys/{slave}/status, POST .../{slave}/enc_keys,
// POST .../{master}/dec_keys. HTTPS with mutual TLS (client certificate and key, CA bundle to
// verify the KME; TLS ≥ 1.2), or plain http:// for a local simulator only. Responses are limited
// to 1 MiB and parsed with the strict JSON parser; key material is returned in SecretBytes.
// Calls are blocking and each opens one connection; a Client may be used from one thread at a
// time. Failures: kUnavailable (connect, TLS, HTTP 503), kUnauthenticated (401), kInvalidArgument
// (400 or a malformed response), each naming the KME and the call.
//
// QKD keys are only ever an extra input to the envelope key schedule (docs/ENVELOPE.md), never a
// replacement for the hybrid KEM secret.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "entente/base/bytes.h"
#include "entente/base/status.h"

namespace entente::crypto::qkd {

struct KeyMaterial {
  std::string key_id;  // UUID
  SecretBytes key;
};

struct KmeStatus {
  std::string source_kme_id, target_kme_id, master_sae_id, slave_sae_id;
  std::int64_t key_size = 0, stored_key_count = 0, max_key_count = 0, max_key_per_request = 0,
               max_key_size = 0, min_key_size = 0, max_sae_id_count = 0;
};

struct ClientConfig {
  std::string base_url;     // "https://kme.example:443" or "http://127.0.0.1:PORT"
  std::string sae_id;       // this SAE
  std::string peer_sae_id;  // the other SAE (slave when sealing, master when opening)
  std::string cert_file, key_file, ca_file;  // PEM, for https
  int timeout_ms = 5000;
};

class Client {
 public:
  static Result<std::unique_ptr<Client>> Create(ClientConfig config);
  // JSON file with the ClientConfig fields (base_url, sae_id, peer_sae_id, cert_file, key_file,
  // ca_file, timeout_ms).
  static Result<std::unique_ptr<Client>> FromConfigFile(const std::string& path);
  ~Client();

  Result<KmeStatus> GetStatus(const std::string& slave_sae_id);
  // enc_keys: `number` keys of `size_bits` bits for the slave SAE.
  Result<std::vector<KeyMaterial>> GetKeys(const std::string& slave_sae_id, int number,
                                           int size_bits);
  // dec_keys: the keys the master SAE obtained, by id.
  Result<std::vector<KeyMaterial>> GetKeysWithIds(const std::string& master_sae_id,
                                                  const std::vector<std::string>& key_ids);
  // One key from the configured peer (master) by id; what envelope::Open's QkdLookup needs.
  Result<SecretBytes> GetKeyWithId(const std::string& key_id);
  const ClientConfig& config() const { return config_; }

 private:
  Client() = default;
  Result<std::string> Request(const std::string& method, const std::string& path,
                              const std::string& body);
  ClientConfig config_;
  struct Tls;
  std::unique_ptr<Tls> tls_;
};

// A local KME pair in one process: keys made by enc_keys for (master, slave) are handed out once
// by dec_keys to the slave. Listens on 127.0.0.1 (port 0 = any free port) with mutual TLS when
// given PEM files (the caller's SAE id is its certificate's CN), else plain HTTP with the caller
// named by an "X-SAE-ID" header (tests only). Serves on its own thread until destroyed.
class KmeSimulator {
 public:
  struct Options {
    std::string cert_file, key_file, ca_file;  // empty: plain HTTP
    int max_key_per_request = 16;
    int default_key_size = 256;
  };
  static Result<std::unique_ptr<KmeSimulator>> Start(Options options);
  ~KmeSimulator();
  int port() const;
  std::string base_url() const;
  // Requests served so far (for tests).
  int requests() const;

 private:
  KmeSimulator() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace entente::crypto::qkd
