#!/usr/bin/env python3
"""Create and rotate netmon's secrets in an Ansible Vault file.

    python3 ansible/bin/netmon_vault.py ACTION [--inventory ansible/inventory/hanoi]
        [--vault-password-file FILE] [--agents ID,ID...]

ACTION is one of:

init           create ``<inventory>/group_vars/all/vault.yml``: a token for every agent host
               of the inventory, the SNMPv3 keys of every auth profile the wards use
               (``netmon_snmp_auth``), a CA and a TLS key and certificate per collector.
               Refuses to overwrite an existing vault (rotate instead).
sync           add what is missing (a token for each new agent host, keys for a new auth
               profile, a certificate for a new collector), keep everything else.
rotate-tokens  new tokens for ``--agents`` (default: every agent); the old ones move to
               ``netmon_vault_agent_tokens_retiring``, which collectors still accept.
retire         forget the retiring tokens (once every agent runs with its new one).
rotate-snmp    new SNMPv3 passphrases for every profile (change them on the routers too).
rotate-tls     new collector keys and certificates from the same CA (``--agents`` unused).

Token rotation without a gap: ``rotate-tokens``, then ``collectors.yml`` (both tokens
accepted), then ``agents.yml`` (agents switch), then ``retire`` and ``collectors.yml``
again. The vault password comes from ``--vault-password-file`` or
``ANSIBLE_VAULT_PASSWORD_FILE``; the file is only ever handled by ``ansible-vault``.
Exit status: 0, or 2 with a message on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

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
    return json.loads(text)


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


def _openssl(*args: str) -> None:
    _run(["openssl", *args])


def new_ca(tmp: Path) -> dict[str, str]:
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", str(tmp / "ca.key"), "-out", str(tmp / "ca.crt"), "-days", "3650",
             "-subj", "/O=netmon/CN=netmon collectors CA")
    return {"cert": (tmp / "ca.crt").read_text(), "key": (tmp / "ca.key").read_text()}


def new_server_cert(tmp: Path, ca: dict[str, str], name: str, address: str) -> dict[str, str]:
    (tmp / "ca.crt").write_text(ca["cert"])
    (tmp / "ca.key").write_text(ca["key"])
    (tmp / "ca.key").chmod(0o600)
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", str(tmp / "server.key"), "-out", str(tmp / "server.csr"),
             "-subj", f"/O=netmon/CN={name}")
    san = f"subjectAltName=DNS:{name}" + (f",IP:{address}" if address else "")
    (tmp / "ext.cnf").write_text(san + "\n")
    _openssl("x509", "-req", "-in", str(tmp / "server.csr"), "-CA", str(tmp / "ca.crt"),
             "-CAkey", str(tmp / "ca.key"), "-CAcreateserial", "-days", "825",
             "-extfile", str(tmp / "ext.cnf"), "-out", str(tmp / "server.crt"))
    return {"cert": (tmp / "server.crt").read_text(), "key": (tmp / "server.key").read_text()}


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
        with tempfile.TemporaryDirectory(prefix="netmon-vault-") as tmp:
            if "ca" not in self.tls:
                self.tls["ca"] = new_ca(Path(tmp))
                done.append("tls ca")
            certs = self.tls.setdefault("collectors", {})
            for name, address in self.collectors.items():
                if name not in certs:
                    certs[name] = new_server_cert(Path(tmp), self.tls["ca"], name, address)
                    done.append(f"tls {name}")
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

    def rotate_tls(self) -> list[str]:
        self.tls.pop("collectors", None)
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
            done = vault.rotate_tls()
        write_vault(path, vault.data, args.vault_password_file)
    except VaultError as exc:
        print(f"netmon_vault: {exc}", file=sys.stderr)
        return 2
    print(f"netmon_vault: {path}: {args.action}: {len(done)} change(s)"
          + (f" ({', '.join(done[:5])}{', ...' if len(done) > 5 else ''})" if done else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
