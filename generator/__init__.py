"""wathiqa: the Arabic paperwork of the association, generated from its policy in YAML."""
