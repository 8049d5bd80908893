#!/usr/bin/env python3
"""Create and rotate netmon's secrets in an Ansible Vault file.

    python3 ansible/bin/netmon_vault.py ACTION [--inventory ansible/inventory/hanoi]
        [--vault-password-file FILE] [--agents ID,ID...]

ACTION is one of:

init           create ``<inventory>/group_vars/all/vault.yml``: a token for every agent host
               of the inventory, the SNMPv3 keys of every auth profile the wards use
               (``netmon_snmp_auth``), a netmon CA and the keys and certificates it signs
               (one per collector, agent and Prometheus host: see "TLS" below), and a
               basic-auth password (and its bcrypt hash) for Prometheus and one for the
               playbooks' health checks.
               Refuses to overwrite an existing vault (rotate instead).
sync           add what is missing (a token and a certificate for each new agent host, keys
               for a new auth profile, a certificate for a new collector or Prometheus host,
               a new one for a collector whose address changed), keep everything else.
rotate-tokens  new tokens for ``--agents`` (default: every agent); the old ones move to
               ``netmon_vault_agent_tokens_retiring``, which collectors still accept.
retire         forget the retiring tokens (once every agent runs with its new one).
rotate-snmp    new SNMPv3 passphrases for every profile (change them on the routers too).
rotate-tls     new keys and certificates from the same CA: for ``--agents`` only, or (without
               it) for every collector, agent and Prometheus host.

Token rotation without a gap: ``rotate-tokens``, then ``collectors.yml`` (both tokens
accepted), then ``agents.yml`` (agents switch), then ``retire`` and ``collectors.yml``
again. The vault password comes from ``--vault-password-file`` or
``ANSIBLE_VAULT_PASSWORD_FILE``; the file is only ever handled by ``ansible-vault``.
Exit status: 0, or 2 with a message on stderr.

TLS (``netmon_vault_tls``): ``ca`` {cert, key}; ``collectors``, ``agents`` (by agent id) and
``scrapers`` (the ``prometheus`` group's hosts), each {cert, key}. The certificates are made
here with the ``cryptography`` package (a dependency of ansible-core, so on every controller),
not with a separate PKI: the CA's key stays in the vault, the hosts get only their own key.
``netmon_vault_basic_auth``: user -> {password, bcrypt}; the collectors get the hash,
Prometheus the password (``bcrypt`` package on the controller).
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VAULT_FILE = Path("group_vars") / "all" / "vault.yml"
HEADER = ("# netmon secrets: Ansible Vault, managed by ansible/bin/netmon_vault.py (see\n"
          "# ansible/README.md, \"Secrets\"). Do not edit the plaintext by hand.\n")


class VaultError(Exception):
    pass


def _run(command: list[str], stdin: str | None = None) -> str:
    # The password file is always passed explicitly: the same one again from the
    # environment would make ansible-vault ask which of the two to encrypt with.
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_VAULT_PASSWORD_FILE"}
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False,
                          env=env)
    if done.returncode != 0:
        raise VaultError(f"{' '.join(command[:2])} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def _literal(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(str, _literal)


def hosts_of(inventory: Path, password_file: str) -> dict[str, Any]:
    """``ansible-inventory --list`` of the inventory: groups and raw host variables."""
    text = _run(["ansible-inventory", "-i", str(inventory), "--list",
                 "--vault-password-file", password_file])
    listing: dict[str, Any] = json.loads(text)
    return listing


def _members(listing: dict[str, Any], group: str) -> list[str]:
    entry = listing.get(group, {})
    found = list(entry.get("hosts", []))
    for child in entry.get("children", []):
        found += [h for h in _members(listing, child) if h not in found]
    return found


def read_vault(path: Path, password_file: str) -> dict[str, Any]:
    if not path.exists():
        return {}
    text = _run(["ansible-vault", "decrypt", "--vault-password-file", password_file,
                 "--output", "-", str(path)])
    return yaml.safe_load(text) or {}


def write_vault(path: Path, data: dict[str, Any], password_file: str) -> None:
    plain = HEADER + yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=True,
                               default_flow_style=False, width=1000)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    _run(["ansible-vault", "encrypt", "--vault-password-file", password_file,
          "--output", str(partial), "-"], stdin=plain)
    partial.chmod(0o600)
    os.replace(partial, path)


def new_token() -> str:
    return secrets.token_urlsafe(32)  # what collector.tokens issues: 43 characters


def new_snmp_profile() -> dict[str, Any]:
    return {"username": "netmon", "security_level": "authPriv", "auth_protocol": "SHA",
            "password": secrets.token_urlsafe(24), "priv_protocol": "AES",
            "priv_password": secrets.token_urlsafe(24), "version": 3}


# --- TLS: a netmon CA and the certificates it signs (the ``cryptography`` package) ---------
#
# One CA (P-256, 10 years) signs every certificate netmon uses (825 days each):
#
# * a collector: serverAuth and clientAuth (its own health checks and sharding peers present
#   it), SAN DNS <host> and IP <address>: the agents and Prometheus connect by address;
# * an agent: clientAuth, SAN URI ``netmon://agent/<agent-id>``, the identity the collector
#   checks against the agent's token under mutual TLS (netmon/web/identity.py);
# * a scraper (each host of the ``prometheus`` group): clientAuth, SAN URI
#   ``netmon://scraper/<host>``, which names no agent, so it can never push as one.
#
# The extensions are those Go's crypto/x509 (Prometheus) and OpenSSL 3's strict mode require:
# basicConstraints critical, keyUsage, extendedKeyUsage, subject and authority key ids.

#: Basic-auth users: Prometheus's scrapes, and the playbooks' health checks (a credential of
#: their own, so that what reaches a ward host during a rollout is not Prometheus's).
BASIC_AUTH_USERS = ("prometheus", "rollout")
AGENT_URI = "netmon://agent/"
SCRAPER_URI = "netmon://scraper/"
CA_DAYS = 3650
LEAF_DAYS = 825


def _pem_key(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _pem_cert(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "netmon"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=ca, crl_sign=ca, encipher_only=False,
                         decipher_only=False)


def new_ca() -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    subject = _name("netmon CA")
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return {"cert": _pem_cert(cert), "key": _pem_key(key)}


def issue(ca: dict[str, str], common_name: str, *, dns: tuple[str, ...] = (),
          ips: tuple[str, ...] = (), uris: tuple[str, ...] = (),
          server: bool = False) -> dict[str, str]:
    """A key and a certificate signed by ``ca``: clientAuth always, serverAuth if ``server``."""
    ca_cert = x509.load_pem_x509_certificate(ca["cert"].encode())
    ca_key = serialization.load_pem_private_key(ca["key"].encode(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise VaultError("netmon_vault_tls.ca.key is not an EC key: rotate the CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    names: list[Any] = [x509.DNSName(d) for d in dns]
    names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    names += [x509.UniformResourceIdentifier(u) for u in uris]
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH] + ([ExtendedKeyUsageOID.SERVER_AUTH]
                                                  if server else [])
    cert = (x509.CertificateBuilder()
            .subject_name(_name(common_name)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return {"cert": _pem_cert(cert), "key": _pem_key(key)}


def new_server_cert(ca: dict[str, str], name: str, address: str) -> dict[str, str]:
    ips: tuple[str, ...] = ()
    dns: tuple[str, ...] = (name,)
    if address:
        try:
            ipaddress.ip_address(address)
            ips = (address,)
        except ValueError:
            dns = (name, address)
    return issue(ca, name, dns=dns, ips=ips, server=True)


def _names_address(pair: dict[str, str], address: str) -> bool:
    """Whether a collector's certificate still names its (possibly changed) address."""
    if not address:
        return True
    cert = x509.load_pem_x509_certificate(pair["cert"].encode())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    known = [str(i) for i in san.get_values_for_type(x509.IPAddress)]
    return address in known + san.get_values_for_type(x509.DNSName)


def new_agent_cert(ca: dict[str, str], agent: str) -> dict[str, str]:
    return issue(ca, agent, uris=(AGENT_URI + agent,))


def new_scraper_cert(ca: dict[str, str], host: str) -> dict[str, str]:
    return issue(ca, host, uris=(SCRAPER_URI + host,))


def new_basic_auth_user() -> dict[str, str]:
    """A password and its bcrypt hash (the collector's web-config gets only the hash)."""
    try:
        import bcrypt
    except ImportError:
        raise VaultError("basic auth needs the 'bcrypt' package on the controller: pip "
                         "install bcrypt") from None
    password = secrets.token_urlsafe(24)
    return {"password": password,
            "bcrypt": bcrypt.hashpw(password.encode(), bcrypt.gensalt(10)).decode()}


class Secrets:
    def __init__(self, data: dict[str, Any], listing: dict[str, Any]) -> None:
        self.data = data
        self.tokens: dict[str, str] = data.setdefault("netmon_vault_agent_tokens", {})
        self.retiring: dict[str, str] = data.setdefault("netmon_vault_agent_tokens_retiring",
                                                        {})
        self.snmp: dict[str, Any] = data.setdefault("netmon_vault_snmp_auths", {})
        self.tls: dict[str, Any] = data.setdefault("netmon_vault_tls", {})
        hostvars = listing.get("_meta", {}).get("hostvars", {})
        self.agents = {hostvars[h]["netmon_agent_id"]: h for h in _members(listing, "agents")
                       if "netmon_agent_id" in hostvars.get(h, {})}
        self.profiles = sorted({hostvars[h].get("netmon_snmp_auth") for h in hostvars}
                               - {None})
        self.collectors = {h: str(hostvars.get(h, {}).get("ansible_host", ""))
                           for h in _members(listing, "collectors")}
        self.scrapers = _members(listing, "prometheus")

    def sync(self) -> list[str]:
        done = []
        for agent in self.agents:
            if agent not in self.tokens:
                self.tokens[agent] = new_token()
                done.append(f"token {agent}")
        for profile in self.profiles:
            if profile not in self.snmp:
                self.snmp[profile] = new_snmp_profile()
                done.append(f"snmp {profile}")
        if "ca" not in self.tls:
            self.tls["ca"] = new_ca()
            done.append("tls ca")
        ca = self.tls["ca"]
        collectors = self.tls.setdefault("collectors", {})
        for name, address in self.collectors.items():
            if name not in collectors or not _names_address(collectors[name], address):
                collectors[name] = new_server_cert(ca, name, address)
                done.append(f"tls {name}")
        agents = self.tls.setdefault("agents", {})
        for agent in self.agents:
            if agent not in agents:
                agents[agent] = new_agent_cert(ca, agent)
                done.append(f"tls {agent}")
        scrapers = self.tls.setdefault("scrapers", {})
        for host in self.scrapers:
            if host not in scrapers:
                scrapers[host] = new_scraper_cert(ca, host)
                done.append(f"tls {host}")
        users = self.data.setdefault("netmon_vault_basic_auth", {})
        for user in BASIC_AUTH_USERS:
            if user not in users:
                users[user] = new_basic_auth_user()
                done.append(f"basic auth {user}")
        return done

    def rotate_tokens(self, agents: list[str]) -> list[str]:
        unknown = [a for a in agents if a not in self.tokens]
        if unknown:
            raise VaultError(f"no token for {unknown}: run sync first")
        for agent in agents:
            self.retiring[agent] = self.tokens[agent]
            self.tokens[agent] = new_token()
        return [f"token {a} (old one retiring)" for a in agents]

    def retire(self) -> list[str]:
        done = [f"retired {a}" for a in sorted(self.retiring)]
        self.retiring.clear()
        return done

    def rotate_snmp(self) -> list[str]:
        for profile in list(self.snmp):
            fresh = new_snmp_profile()
            self.snmp[profile].update(password=fresh["password"],
                                      priv_password=fresh["priv_password"])
        return [f"snmp {p}" for p in self.snmp]

    def rotate_tls(self, agents: list[str]) -> list[str]:
        """New keys and certificates (same CA) for ``agents``, or for every collector, agent
        and scraper when none is given."""
        if agents:
            unknown = [a for a in agents if a not in self.agents]
            if unknown:
                raise VaultError(f"{unknown} are not agents of the inventory")
            for agent in agents:
                self.tls.get("agents", {}).pop(agent, None)
        else:
            for kind in ("collectors", "agents", "scrapers"):
                self.tls.pop(kind, None)
        return self.sync()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["init", "sync", "rotate-tokens", "retire",
                                           "rotate-snmp", "rotate-tls"])
    parser.add_argument("--inventory", type=Path,
                        default=Path(__file__).resolve().parents[1] / "inventory" / "hanoi")
    parser.add_argument("--vault-password-file",
                        default=os.environ.get("ANSIBLE_VAULT_PASSWORD_FILE"))
    parser.add_argument("--agents", default="", help="comma-separated agent ids")
    args = parser.parse_args(argv)
    if not args.vault_password_file:
        parser.error("give --vault-password-file (or set ANSIBLE_VAULT_PASSWORD_FILE)")
    path = args.inventory / VAULT_FILE
    try:
        if args.action == "init" and path.exists():
            raise VaultError(f"{path} exists: use sync or a rotate-* action")
        if args.action != "init" and not path.exists():
            raise VaultError(f"{path} does not exist: run init first")
        vault = Secrets(read_vault(path, args.vault_password_file),
                        hosts_of(args.inventory, args.vault_password_file))
        if args.action in ("init", "sync"):
            done = vault.sync()
        elif args.action == "rotate-tokens":
            chosen = [a for a in args.agents.split(",") if a] or sorted(vault.tokens)
            done = vault.rotate_tokens(chosen)
        elif args.action == "retire":
            done = vault.retire()
        elif args.action == "rotate-snmp":
            done = vault.rotate_snmp()
        else:
            done = vault.rotate_tls([a for a in args.agents.split(",") if a])
        write_vault(path, vault.data, args.vault_password_file)
    except VaultError as exc:
        print(f"netmon_vault: {exc}", file=sys.stderr)
        return 2
    print(f"netmon_vault: {path}: {args.action}: {len(done)} change(s)"
          + (f" ({', '.join(done[:5])}{', ...' if len(done) > 5 else ''})" if done else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
