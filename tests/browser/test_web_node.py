"""The browser package as npm users get it: ``npm pack`` of ``dist/web/`` installs into an empty
project, and Node, importing it by its package name, decides every example signup with the
gateway's bytes (the native evaluator's ``cipgate check``, never this file)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLES, REPO

TIME = 1_767_225_600  # the same clock for both sides


@pytest.fixture(scope="module")
def installed(web_dist, tmp_path_factory) -> tuple[Path, dict]:
    """An empty project with the packed package installed (no registry: a local tarball)."""
    assert shutil.which("node") and shutil.which("npm"), "Node and npm: scripts/setup installs them"
    work = tmp_path_factory.mktemp("npm")
    pack = subprocess.run(["npm", "pack", "--silent", "--pack-destination", str(work)],
                          cwd=web_dist, capture_output=True, text=True, timeout=120)
    assert pack.returncode == 0, pack.stderr
    (tarball,) = work.glob("*.tgz")
    project = work / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "signup-service", "private": true}\n')
    install = subprocess.run(["npm", "install", "--offline", "--no-audit", "--no-fund",
                              str(tarball)], cwd=project, capture_output=True, text=True,
                             timeout=300)
    assert install.returncode == 0, install.stderr
    return project, json.loads((web_dist / "package.json").read_text())


def test_package_is_named_and_versioned_after_the_policy(web_dist, dist):
    package = json.loads((web_dist / "package.json").read_text())
    policy = dist.manifest["policy"]
    assert package["name"] == f"@cipgate/{policy['id']}"
    assert package["version"] == policy["version"]  # 2026.12.3 is semver
    # Conditions are matched in order: types first, default last.
    assert list(package["exports"]["."]) == ["types", "node", "default"]
    for name in package["files"]:
        assert (web_dist / name).is_file(), name
    assert policy["sha256"] in (web_dist / "README.md").read_text()


def test_node_decides_every_example_with_the_gateway_bytes(installed, cipgate_bin):
    project, package = installed
    names = sorted(p.name for p in EXAMPLES.glob("*.json"))
    script = f"""
import {{ init, decide }} from "{package['name']}";
import {{ readFileSync }} from "node:fs";
await init();
for (const name of {json.dumps(names)}) {{
  const body = readFileSync({json.dumps(str(EXAMPLES))} + "/" + name);
  console.log(decide(body, "application/json", {{ time: {TIME} }}));
}}
"""
    run = subprocess.run(["node", "--input-type=module", "-e", script], cwd=project,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    from_node = run.stdout.splitlines()
    assert len(from_node) == len(names)
    for name, got in zip(names, from_node):
        native = subprocess.run([str(cipgate_bin), "check", "--policy",
                                 str(REPO / "policies" / "us-iaas-cip.yaml"), "--time", str(TIME),
                                 str(EXAMPLES / name)], capture_output=True, text=True, timeout=60)
        assert native.returncode in (0, 3, 4, 5), native.stderr
        assert got == native.stdout.rstrip("\n"), name


def test_node_lists_countries_and_regions_the_module_accepts(installed):
    """The package's country and region lists in German, and every code they offer accepted by
    the policy module (no `invalid` violation); the expected names and counts come from
    pycountry and Node's own Intl, not from the package."""
    import pycountry

    project, package = installed
    script = f"""
import {{ init, validate, countries, regions }} from "{package['name']}";
await init();
const invalid = (field, value) => {{
  const [group, key] = field.split(".").slice(1);
  const decision = validate({{ customer: {{ [group]: {{ [key]: value }} }} }});
  return decision.violations.some((v) => v.field === field && v.code === "invalid");
}};
const listed = await countries({{ locale: "de" }});
const offered = [];
for (const {{ code }} of listed) offered.push(...(await regions(code, {{ locale: "de" }})));
console.log(JSON.stringify({{
  countries: listed,
  germany: await regions("DE", {{ locale: "de" }}),
  regions: offered.length,
  refusedCountries: listed.filter((c) => invalid("customer.address.country", c.code)).map((c) => c.code),
  refusedRegions: offered.filter((r) => invalid("customer.address.region", r.code)).map((r) => r.code),
  // The check can fail: a code the tables lack is refused.
  refusedMadeUp: invalid("customer.address.region", "DE-XX"),
  none: await regions("GI"),
  sortedInGerman: listed.map((c) => c.name).join("|") ===
    listed.map((c) => c.name).sort(new Intl.Collator("de").compare).join("|"),
}}));
"""
    run = subprocess.run(["node", "--input-type=module", "-e", script], cwd=project,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    names = {c["code"]: c["name"] for c in got["countries"]}
    assert names["DE"] == "Deutschland" and names["FR"] == "Frankreich"
    assert set(names) == {c.alpha_2 for c in pycountry.countries} | {"XK"}
    assert got["sortedInGerman"]
    assert {(r["code"], r["name"]) for r in got["germany"]} == {
        (s.code, s.name) for s in pycountry.subdivisions.get(country_code="DE")}
    assert [r["name"] for r in got["germany"]][:2] == ["Baden-Württemberg", "Bayern"]
    assert got["regions"] == len(pycountry.subdivisions)
    assert got["refusedCountries"] == [] and got["refusedRegions"] == []
    assert got["refusedMadeUp"]
    assert got["none"] == []
