"""The GraphQL layer: composes core types with plugin mixins into one Strawberry schema."""
