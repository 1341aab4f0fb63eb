-- A mail that answers a ticket by its Message-ID but comes from someone who
-- neither takes part in the ticket nor belongs to its organization is kept,
-- marked as from an unverified sender, until an agent accepts it. Knowing a
-- Message-ID is not proof of being in the conversation.
ALTER TABLE messages ADD COLUMN unverified_sender BOOLEAN NOT NULL DEFAULT FALSE;
