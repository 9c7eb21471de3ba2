"""The policy's fonts embedded in the templates, as Word embeds them.

Word's way (ECMA-376 Part 1, 17.8.1): each face is an obfuscated ``word/fonts/fontN.odttf`` part, related from
``fontTable.xml`` and named there by ``w:embedRegular``/``w:embedBold`` with the ``w:fontKey`` that undoes the
obfuscation. ``w:embedTrueTypeFonts`` in the settings (:func:`page.set_defaults`) makes Word keep them when staff
save. A document opened on a machine without the fonts then still prints in them, in Word and in LibreOffice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml.ns import qn
from fontTools.ttLib import TTFont
from lxml import etree

from ...errors import Problem, ProjectError
from .wml import el

FONT_FILES: Final = {
    "IBM Plex Sans Arabic": ("IBMPlexSansArabic-Regular.ttf", "IBMPlexSansArabic-Bold.ttf", "swiss"),
    "Amiri": ("Amiri-Regular.ttf", "Amiri-Bold.ttf", "roman"),
}
"""The shipped families: regular and bold files under ``templates/fonts/``, and the family class Word wants."""

_NS_W: Final = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS_R: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OBFUSCATED_FONT: Final = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
_PANOSE: Final = (
    "bFamilyType",
    "bSerifStyle",
    "bWeight",
    "bProportion",
    "bContrast",
    "bStrokeVariation",
    "bArmStyle",
    "bLetterForm",
    "bMidline",
    "bXHeight",
)


def obfuscate(font: bytes, key: str) -> bytes:
    """Word's font obfuscation: the first 32 bytes XOR the GUID's 16 bytes, taken from the end of the GUID."""
    guid = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    head = bytes(b ^ guid[i % 16] for i, b in enumerate(font[:32]))
    return head + font[32:]


def font_key(file_name: str) -> str:
    """A GUID for the font file that depends on its name only, so the same fonts give the same template."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"wathiqa:{file_name}")).upper() + "}"


def _panose(font_file: Path, family: str) -> str:
    """The family's PANOSE classification, read from the font; refuses a file that is another family."""
    font = TTFont(font_file)
    found = font["name"].getDebugName(1)
    if found != family:
        msg = "the templates' fonts do not match the policy"
        raise ProjectError(msg, [Problem(str(font_file), None, None, "", f"is family {found!r}, not {family!r}")])
    panose = font["OS/2"].panose
    return "".join(f"{getattr(panose, name):02X}" for name in _PANOSE)


def embed_fonts(document: DocxDocument, families: Sequence[str], fonts_dir: Path) -> None:
    """Replace ``fontTable.xml`` by the families used, each embedded (regular and bold) as obfuscated parts."""
    package = document.part.package
    table_part = document.part.part_related_by(RT.FONT_TABLE)
    fonts = etree.Element(qn("w:fonts"), nsmap={"w": _NS_W, "r": _NS_R})
    index = 0
    for family in families:
        regular, bold, kind = FONT_FILES[family]
        embeds = []
        for element, file_name in (("w:embedRegular", regular), ("w:embedBold", bold)):
            index += 1
            key = font_key(file_name)
            blob = obfuscate((fonts_dir / file_name).read_bytes(), key)
            part = Part(PackURI(f"/word/fonts/font{index}.odttf"), _OBFUSCATED_FONT, blob, package)
            r_id = table_part.relate_to(part, RT.FONT)
            embeds.append(etree.Element(qn(element), {qn("r:id"): r_id, qn("w:fontKey"): key}))
        fonts.append(
            el(
                "w:font",
                {"w:name": family},
                el("w:panose1", {"w:val": _panose(fonts_dir / regular, family)}),
                el("w:charset", {"w:val": "00"}),
                el("w:family", {"w:val": kind}),
                el("w:pitch", {"w:val": "variable"}),
                *embeds,
            )
        )
    table_part._blob = etree.tostring(fonts, encoding="UTF-8", standalone=True)
