"""The CRM at the centre: people, their contact points and addresses (with districts),
households, organizations, relationships, positions, interaction history and search."""
