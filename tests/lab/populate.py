#!/usr/bin/python3
# tests/lab/populate.py: creates the lab's directory objects in ONE process, straight in sam.ldb (Samba
# not running, or running: ldb locking makes both safe). One process is ~10x faster than a samba-tool run
# per object. Called by tests/lab/samba-up; not meant to be run by hand.
#
#   populate.py create LABDIR   creates every account, exports the keytabs, writes LABDIR/objects.env
#   populate.py altsecid LABDIR replaces alice's altSecurityIdentities with LABDIR/alice-altsecid.txt
#
# Must run under /usr/bin/python3 (Debian's python3-samba), not a pyenv/venv python.
import os
import sys
import time

import ldb
import samba
from samba import dsdb
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB

REALM = "EXAMPLE.TEST"
DNS_DOMAIN = "example.test"
UPN_SUFFIX = "corp.example"  # carol's UPN suffix, deliberately not the realm
SVC_SPN = "HTTP/proxy.example.test"
EXCHANGE_SPN = "HTTP/exchange.example.test"
AES_ONLY = "24"  # msDS-SupportedEncryptionTypes: AES128 | AES256


def nttime(unix_seconds):
    return int((unix_seconds + 11644473600) * 10_000_000)


def unicode_pwd(password):
    return ('"' + password + '"').encode("utf-16-le")


def read_secret(path):
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def open_samdb(labdir):
    lp = LoadParm()
    lp.load(os.path.join(labdir, "smb.conf"))
    samdb = SamDB(url=os.path.join(labdir, "private", "sam.ldb"), session_info=system_session(), lp=lp)
    return lp, samdb


def add_user(samdb, users_dn, name, password, upn=None, uac=dsdb.UF_NORMAL_ACCOUNT, extra=None):
    # unicodePwd in the add itself: one write per account instead of add + modify.
    msg = {
        "dn": "CN=%s,%s" % (name, users_dn),
        "objectClass": "user",
        "sAMAccountName": name,
        "userPrincipalName": upn or "%s@%s" % (name, DNS_DOMAIN),
        "unicodePwd": unicode_pwd(password),
        "userAccountControl": str(uac | dsdb.UF_DONT_EXPIRE_PASSWD),
        "displayName": name,
    }
    msg.update(extra or {})
    samdb.add(msg)
    return msg["dn"]


def sid_of(samdb, dn):
    res = samdb.search(base=dn, scope=ldb.SCOPE_BASE, attrs=["objectSid"])
    return str(ndr_unpack(security.dom_sid, res[0]["objectSid"][0]))


def set_altsecid(samdb, labdir):
    path = os.path.join(labdir, "alice-altsecid.txt")
    values = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            values = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    dn = "CN=alice,CN=Users," + str(samdb.domain_dn())
    msg = ldb.Message(ldb.Dn(samdb, dn))
    msg["altSecurityIdentities"] = ldb.MessageElement(values, ldb.FLAG_MOD_REPLACE, "altSecurityIdentities")
    samdb.modify(msg)
    return values


def export_keytab(lp, principal, path):
    # Net.export_keytab appends; start from an empty file. It silently writes nothing for an account
    # without keys, so check the result.
    samba.enable_net_export_keytab()
    from samba.net import Net

    if os.path.exists(path):
        os.unlink(path)
    Net(None, lp).export_keytab(keytab=path, principal=principal)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        sys.exit("populate.py: exporting the keytab for %s wrote nothing" % principal)


def create(labdir):
    lp, samdb = open_samdb(labdir)
    user_pw = read_secret(os.path.join(labdir, "secrets", "users.pw"))
    svc_pw = read_secret(os.path.join(labdir, "secrets", "svc-cba.pw"))
    exch_pw = read_secret(os.path.join(labdir, "secrets", "http-exchange.pw"))
    base = str(samdb.domain_dn())
    users = "CN=Users," + base
    now = time.time()
    dn = {}

    samdb.transaction_start()
    try:
        # carol's UPN suffix must be a known alternative suffix of the forest, as in a real AD.
        partitions = ldb.Message(ldb.Dn(samdb, "CN=Partitions," + str(samdb.get_config_basedn())))
        partitions["uPNSuffixes"] = ldb.MessageElement([UPN_SUFFIX], ldb.FLAG_MOD_REPLACE, "uPNSuffixes")
        samdb.modify(partitions)

        dn["alice"] = add_user(samdb, users, "alice", user_pw, extra={
            "givenName": "Alice", "mail": "alice@" + DNS_DOMAIN})
        dn["bob"] = add_user(samdb, users, "bob", user_pw,
                             uac=dsdb.UF_NORMAL_ACCOUNT | dsdb.UF_ACCOUNTDISABLE)
        dn["carol"] = add_user(samdb, users, "carol", user_pw, upn="carol@" + UPN_SUFFIX)
        # Expired since 2020-01-01: accountExpires is an absolute NTTIME.
        dn["dave"] = add_user(samdb, users, "dave", user_pw, extra={
            "accountExpires": str(nttime(1577836800))})
        dn["erin"] = add_user(samdb, users, "erin", user_pw)
        dn["svc-cba"] = add_user(
            samdb, users, "svc-cba", svc_pw,
            uac=dsdb.UF_NORMAL_ACCOUNT | dsdb.UF_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION,
            extra={
                "servicePrincipalName": [SVC_SPN],
                "msDS-AllowedToDelegateTo": [EXCHANGE_SPN],
                "msDS-SupportedEncryptionTypes": AES_ONLY,
                "description": "cba-proxy service account: LDAP bind and Kerberos constrained delegation",
            })
        for i in range(1, 21):
            name = "user%02d" % i
            dn[name] = add_user(samdb, users, name, user_pw)

        # The Exchange stand-in: an enabled computer account with the HTTP SPN and a known password (a
        # computer created without one has no keys and exports an empty keytab).
        computers = str(samdb.get_wellknown_dn(samdb.get_default_basedn(), dsdb.DS_GUID_COMPUTERS_CONTAINER))
        dn["EXCHANGE$"] = "CN=EXCHANGE," + computers
        samdb.add({
            "dn": dn["EXCHANGE$"],
            "objectClass": "computer",
            "sAMAccountName": "EXCHANGE$",
            "dNSHostName": "exchange." + DNS_DOMAIN,
            "servicePrincipalName": [EXCHANGE_SPN, "HTTP/exchange"],
            "userAccountControl": str(dsdb.UF_WORKSTATION_TRUST_ACCOUNT),
            "unicodePwd": unicode_pwd(exch_pw),
            "msDS-SupportedEncryptionTypes": AES_ONLY,
        })

        # SASL GSSAPI binds to ldap://127.0.0.1 ask for ldap/127.0.0.1 (no DNS here to canonicalise
        # the name): give the DC that SPN too, as Windows allows for IP-address SPNs.
        dc = samdb.search(base=base, expression="(&(objectClass=computer)(sAMAccountName=DC1$))",
                          attrs=["servicePrincipalName"])[0]
        dc_msg = ldb.Message(dc.dn)
        dc_msg["servicePrincipalName"] = ldb.MessageElement(["ldap/127.0.0.1"], ldb.FLAG_MOD_ADD,
                                                            "servicePrincipalName")
        samdb.modify(dc_msg)

        # erin: locked out. Samba computes msDS-User-Account-Control-Computed UF_LOCKOUT (0x10) when
        # lockoutTime is non-zero and lockoutTime + lockoutDuration is in the future. The domain's
        # lockoutDuration is 30 minutes, so a lockoutTime of "now" would unlock itself mid-run; a lockout
        # "in the future" keeps her locked for the life of the lab. badPwdCount set for realism.
        erin = ldb.Message(ldb.Dn(samdb, dn["erin"]))
        erin["lockoutTime"] = ldb.MessageElement(str(nttime(now + 10 * 365 * 86400)), ldb.FLAG_MOD_REPLACE,
                                                 "lockoutTime")
        erin["badPwdCount"] = ldb.MessageElement("5", ldb.FLAG_MOD_REPLACE, "badPwdCount")
        samdb.modify(erin)

        altsecid = set_altsecid(samdb, labdir)
        samdb.transaction_commit()
    except BaseException:
        samdb.transaction_cancel()
        raise

    secrets = os.path.join(labdir, "secrets")
    export_keytab(lp, "svc-cba@" + REALM, os.path.join(secrets, "svc-cba.keytab"))
    export_keytab(lp, EXCHANGE_SPN + "@" + REALM, os.path.join(secrets, "http-exchange.keytab"))

    with open(os.path.join(labdir, "objects.env"), "w", encoding="utf-8") as f:
        f.write("LAB_DOMAIN_SID=%s\n" % samdb.get_domain_sid())
        for name in ("alice", "bob", "carol", "dave", "erin", "svc-cba"):
            var = "LAB_%s_SID" % name.upper().replace("-", "_")
            f.write("%s=%s\n" % (var, sid_of(samdb, dn[name])))
    print("populate.py: created %d accounts; alice altSecurityIdentities: %d value(s)"
          % (len(dn), len(altsecid)))


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("create", "altsecid"):
        sys.exit("usage: populate.py create|altsecid LABDIR")
    labdir = os.path.abspath(sys.argv[2])
    if sys.argv[1] == "create":
        create(labdir)
    else:
        _, samdb = open_samdb(labdir)
        values = set_altsecid(samdb, labdir)
        print("populate.py: alice altSecurityIdentities: %d value(s)" % len(values))


if __name__ == "__main__":
    main()
