"""The DOCX template maker: the committed templates are what it makes, it follows the policy's fonts, it embeds
them as Word does, and it runs as ``make templates`` runs it."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from generator.config.project import load_project
from generator.errors import ProjectError
from generator.render.docx_templates import KINDS, make_templates
from generator.render.docx_templates.fonts import FONT_FILES, obfuscate
from generator.render.docx_templates.maker import TemplateInputs, make_template
from tests.project_fixture import ROOT, copy_project, edit

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
COMMITTED = ROOT / "templates" / "docx"
FONTS = ROOT / "templates" / "fonts"


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def project_with_fonts(tmp_path: Path, body: str, heading: str) -> Path:
    """A copy of the shipped project (its templates and fonts come with it), with the policy's fonts set."""
    policy = copy_project(tmp_path)
    edit(policy, "  body_font: IBM Plex Sans Arabic", f"  body_font: {body}")
    edit(policy, "  heading_font: IBM Plex Sans Arabic", f"  heading_font: {heading}")
    return policy


def test_committed_templates_are_what_the_maker_makes_from_the_shipped_policy() -> None:
    """Run `make templates` and commit the result when this fails: the committed files are stale."""
    made = make_templates(load_project(ROOT / "policies" / "policy.yml"))
    assert sorted(made) == sorted([*(f"{kind}.docx" for kind in KINDS), "logo.png"])
    for name, data in made.items():
        committed = (COMMITTED / name).read_bytes()
        if name.endswith(".docx"):
            mine, theirs = parts(data), parts(committed)
            assert list(mine) == list(theirs), name
            for part, content in mine.items():
                assert content == theirs[part], f"{name}: {part} differs (run `make templates`)"
        assert data == committed, f"{name} differs (run `make templates`)"


def test_the_policy_fonts_are_used_and_embedded_as_word_does(tmp_path: Path) -> None:
    project = load_project(project_with_fonts(tmp_path, "Amiri", "IBM Plex Sans Arabic"))
    made = make_template("letter", TemplateInputs.of(project))
    xml = parts(made)
    body = etree.fromstring(xml["word/document.xml"])
    fonts_used = {node.get(f"{W}cs") for node in body.iter(f"{W}rFonts")}
    assert fonts_used == {"Amiri", "IBM Plex Sans Arabic"}
    for node in body.iter(f"{W}rFonts"):
        assert node.get(f"{W}ascii") == node.get(f"{W}hAnsi") == node.get(f"{W}cs")

    table = etree.fromstring(xml["word/fontTable.xml"])
    relationships = {
        rel.get("Id"): rel.get("Target")
        for rel in etree.fromstring(xml["word/_rels/fontTable.xml.rels"])
    }
    families = [font.get(f"{W}name") for font in table.iter(f"{W}font")]
    assert families == ["Amiri", "IBM Plex Sans Arabic"]
    for font in table.iter(f"{W}font"):
        regular, bold, _ = FONT_FILES[font.get(f"{W}name")]
        for element, file_name in ((f"{W}embedRegular", regular), (f"{W}embedBold", bold)):
            embed = font.find(element)
            assert embed is not None
            key = embed.get(f"{W}fontKey")
            part = xml["word/" + relationships[embed.get(f"{R}id")]]
            # De-obfuscating with the key the font table gives restores the shipped file exactly.
            assert obfuscate(part, key) == (FONTS / file_name).read_bytes()
            assert part != (FONTS / file_name).read_bytes()
    settings = etree.fromstring(xml["word/settings.xml"])
    assert settings.find(f"{W}embedTrueTypeFonts") is not None


def test_a_font_file_of_another_family_is_refused(tmp_path: Path) -> None:
    project = load_project(ROOT / "policies" / "policy.yml")
    fonts = tmp_path / "fonts"
    shutil.copytree(FONTS, fonts)
    shutil.copy(FONTS / "Amiri-Regular.ttf", fonts / "IBMPlexSansArabic-Regular.ttf")
    inputs = TemplateInputs.of(project)
    wrong = TemplateInputs(inputs.look, inputs.scale_size, inputs.logo, fonts)
    with pytest.raises(ProjectError) as caught:
        make_template("form", wrong)
    assert str(caught.value) == (
        "the templates' fonts do not match the policy\n"
        f"{fonts / 'IBMPlexSansArabic-Regular.ttf'}: is family 'Amiri', not 'IBM Plex Sans Arabic'"
    )


def test_make_templates_runs_the_module_and_writes_every_template(tmp_path: Path) -> None:
    policy = project_with_fonts(tmp_path, "IBM Plex Sans Arabic", "Amiri")
    out = tmp_path / "made"
    out.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "generator.render.docx_templates", "--policy", str(policy), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert (result.returncode, result.stderr) == (0, "")
    names = [*(f"{kind}.docx" for kind in KINDS), "logo.png"]
    assert result.stdout.splitlines() == [f"wrote {out / name}" for name in names]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    header = parts((out / "form.docx").read_bytes())["word/header1.xml"].decode()
    assert 'w:ascii="Amiri"' in header  # the association's name is in the heading font
    assert (out / "logo.png").read_bytes() == (COMMITTED / "logo.png").read_bytes()


def test_make_templates_on_a_missing_policy_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "none.yml"
    result = subprocess.run(
        [sys.executable, "-m", "generator.render.docx_templates", "--policy", str(missing), "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"{missing}: file not found"
    assert list(tmp_path.iterdir()) == []


@given(st.binary(max_size=100), st.uuids())
def test_obfuscation_touches_the_first_32_bytes_and_undoes_itself(font: bytes, guid: object) -> None:
    key = "{" + str(guid).upper() + "}"
    hidden = obfuscate(font, key)
    assert len(hidden) == len(font)
    assert hidden[32:] == font[32:]
    assert obfuscate(hidden, key) == font

