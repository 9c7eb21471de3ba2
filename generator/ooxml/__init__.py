"""Office Open XML packages (.xlsx, .docx) at the level of bytes: the one zip reader and writer
(:mod:`.archive`) and the XML helpers (:mod:`.markup`) that the registers and the DOCX renderer share."""
