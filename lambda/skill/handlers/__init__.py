"""One handler class per intent; `skill.builder.build_skill` lists them in dispatch order."""
