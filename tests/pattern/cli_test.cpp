// `entente pattern check|match|anchors`, run as a user would.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

struct CliRun {
  int code;
  std::string out;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

CliRun Entente(const std::string& args) {
  std::string cmd = std::string(ENTENTE_BINARY_DIR) + "/src/cli/entente " + args + " 2>&1";
  CliRun r{-1, ""};
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = std::string(ENTENTE_BINARY_DIR) + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

const char* kBundle = R"({"type":"bundle","id":"bundle--1","objects":[
 {"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--1","value":"198.51.100.3"},
 {"type":"x-acme-beacon","spec_version":"2.1","id":"x-acme-beacon--1","interval":60,
  "c2_ref":"ipv4-addr--1"},
 {"type":"observed-data","spec_version":"2.1","id":"observed-data--a","created":"2020-01-01T00:00:00Z",
  "modified":"2020-01-01T00:00:00Z","first_observed":"2020-01-01T00:00:00Z",
  "last_observed":"2020-01-01T00:00:00Z","number_observed":1,
  "object_refs":["x-acme-beacon--1","ipv4-addr--1"]},
 {"type":"observed-data","spec_version":"2.1","id":"observed-data--b","created":"2020-01-01T00:00:00Z",
  "modified":"2020-01-01T00:00:00Z","first_observed":"2020-01-01T00:10:00Z",
  "last_observed":"2020-01-01T00:10:00Z","number_observed":1,"object_refs":["ipv4-addr--1"]}]})";

TEST(PatternCli, CheckValidAndInvalid) {
  CliRun ok = Entente("pattern check " + Quote("[file:hashes.'SHA-256' = 'ab']"));
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("valid: [file:hashes.'SHA-256' = 'ab']"), std::string::npos);
  CliRun bad = Entente("pattern check " + Quote("[file:name = 'a' AND]"));
  EXPECT_EQ(bad.code, 3) << bad.out;
  EXPECT_NE(bad.out.find("column 21: expected an object path"), std::string::npos) << bad.out;
}

TEST(PatternCli, MatchPrintsTrueOrFalseAndJsonIds) {
  std::string file = WriteTemp("pattern_cli_bundle.json", kBundle);
  CliRun t = Entente("pattern match " + Quote("[x-acme-beacon:c2_ref.value = '198.51.100.3']") +
                     " " + file);
  EXPECT_EQ(t.code, 0) << t.out;
  EXPECT_EQ(t.out, "true\n");
  CliRun f = Entente("pattern match " + Quote("[x-acme-beacon:interval > 60]") + " " + file);
  EXPECT_EQ(f.code, 0) << f.out;
  EXPECT_EQ(f.out, "false\n");
  CliRun j =
      Entente("--json pattern match " + Quote("[ipv4-addr:value = '198.51.100.3']") + " " + file);
  EXPECT_EQ(j.code, 0) << j.out;
  EXPECT_EQ(j.out,
            "{\"matched\":true,\"observations\":2,\"matched_observations\":[\"observed-data--a\","
            "\"observed-data--b\"]}\n");
  std::string arr = WriteTemp("pattern_cli_array.json", std::string("[") + kBundle + "]");
  CliRun a = Entente("pattern match " +
                     Quote("([x-acme-beacon:interval = 60] FOLLOWEDBY [ipv4-addr:value = "
                           "'198.51.100.3']) WITHIN 600 SECONDS") +
                     " " + arr);
  EXPECT_EQ(a.out, "true\n") << a.out;
  CliRun bad = Entente("pattern match " + Quote("[a:b = ") + " " + file);
  EXPECT_EQ(bad.code, 3);
  CliRun missing = Entente("pattern match " + Quote("[a:b = 1]") + " /nonexistent/x.json");
  EXPECT_EQ(missing.code, 5) << missing.out;
}

TEST(PatternCli, Anchors) {
  CliRun r = Entente("pattern anchors " +
                     Quote("[domain-name:value = 'Evil.Example' OR ipv4-addr:value ISSUBSET "
                           "'10.0.0.0/8']"));
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out,
            "domain-name:value\tevil.example\tdomain\nipv4-addr:value\t10.0.0.0/8\tipv4\tcidr\n");
  CliRun u = Entente("pattern anchors " + Quote("[file:name = 'x']"));
  EXPECT_EQ(u.out, "unanchored: column 2: file:name = 'x' (property is not indexed)\n");
}

}  // namespace
