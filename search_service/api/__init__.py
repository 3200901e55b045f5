"""The HTTP face of the search service: Powertools routes, wire models, and errors mapped once."""
