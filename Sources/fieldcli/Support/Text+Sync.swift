import Foundation

/// Enrolment, sync and status, in both languages.
extension Text {
    // MARK: sync failures

    static func cannotReach(_ server: String, _ why: String) -> String {
        say(en: "cannot reach \(server): \(why)", da: "kan ikke nå \(server): \(why)")
    }
    static func connectionFailed(_ server: String) -> String {
        say(
            en: "the connection to \(server) failed or timed out, even after retrying",
            da: "forbindelsen til \(server) fejlede eller tog for lang tid, også efter nye forsøg")
    }
    static var deviceNotAccepted: String {
        say(
            en: "the server no longer accepts this device (revoked or unknown): ask your administrator for a new "
                + "enrolment code and run 'fieldcli enroll' again; it keeps every note on this device",
            da: "serveren godtager ikke længere denne enhed (tilbagekaldt eller ukendt): bed din administrator om en "
                + "ny tilmeldingskode og kør 'fieldcli enroll' igen; alle noter på enheden bevares")
    }
    static func serverRefused(_ message: String, code: String, shareHint: Bool) -> String {
        say(
            en: "the server refused: \(message) (\(code))"
                + (shareHint
                    ? " — undo the share ('fieldcli subject unshare SUBJECT --team TEAM') or ask your "
                        + "administrator to make the teams partners" : ""),
            da: "serveren afviste: \(message) (\(code))"
                + (shareHint
                    ? " — fortryd delingen ('fieldcli subject unshare UNG --team TEAM') eller bed din "
                        + "administrator om at gøre teamene til partnere" : ""))
    }
    static func answerNotUnderstood(_ why: String) -> String {
        say(en: "the server's answer was not understood (\(why))", da: "serverens svar kunne ikke forstås (\(why))")
    }
    static func noLongerMember(_ team: String, removed: Int, aside: Int) -> String {
        say(
            en: "you are no longer a member of team \(team): \(removed) record\(removed == 1 ? "" : "s") removed "
                + "from this device (access ended)"
                + (aside > 0 ? "; \(aside) with unsynced changes kept aside: see 'fieldcli status --set-aside'" : ""),
            da: "du er ikke længere medlem af team \(team): \(removed) \(removed == 1 ? "post" : "poster") fjernet "
                + "fra denne enhed (adgangen er ophørt)"
                + (aside > 0
                    ? "; \(aside) med ændringer, der ikke er synkroniseret, er lagt til side: se "
                        + "'fieldcli status --set-aside'" : ""))
    }
    static var storeRolledBack: String {
        say(
            en: "the server has later changes from this device than this store holds (was the store restored from "
                + "a backup or copied?); nothing was lost: ask your administrator for a new enrolment code and run "
                + "'fieldcli enroll' again; this device then continues as a new one and sends its changes",
            da: "serveren har nyere ændringer fra denne enhed, end lageret rummer (er det genskabt fra en "
                + "sikkerhedskopi eller kopieret?); intet er tabt: bed din administrator om en ny tilmeldingskode, og "
                + "kør 'fieldcli enroll' igen; enheden fortsætter så som en ny og sender sine ændringer")
    }
    static func syncFailed(_ reason: String, queued: Int?) -> String {
        let english =
            queued.map { $0 == 1 ? "your 1 change stays queued" : "your \($0) changes stay queued" }
            ?? "your changes stay queued"
        let danish =
            queued.map { $0 == 1 ? "din 1 ændring venter i køen" : "dine \($0) ændringer venter i køen" }
            ?? "dine ændringer venter i køen"
        return say(
            en: "sync failed: \(reason); \(english) for the next sync",
            da: "synkroniseringen mislykkedes: \(reason); \(danish) til næste synkronisering")
    }

    // MARK: sync results

    static func synced(
        _ server: String, sent: Int, received: Int, updated: Int, merged: Int, conflicts: Int
    ) -> String {
        say(
            en: "Synced with \(server): sent \(sent), received \(received) (\(updated) new or changed), "
                + "merged \(merged), conflicts \(conflicts).",
            da: "Synkroniseret med \(server): sendt \(sent), modtaget \(received) (\(updated) nye eller ændrede), "
                + "flettet \(merged), konflikter \(conflicts).")
    }
    static var someNeedAPerson: String {
        say(
            en: "Some changes need a person: see 'fieldcli conflicts'.",
            da: "Nogle ændringer kræver en person: se 'fieldcli conflicts'.")
    }
    static func removedAccessEnded(_ removed: Int, aside: Int) -> String {
        say(
            en: "\(removed) record\(removed == 1 ? "" : "s") removed: access ended"
                + (aside > 0 ? " (\(aside) with unsynced changes kept aside: see 'fieldcli status')" : "") + ".",
            da: "\(removed) \(removed == 1 ? "post" : "poster") fjernet: adgangen er ophørt"
                + (aside > 0
                    ? " (\(aside) med ændringer, der ikke er synkroniseret, er lagt til side: se "
                        + "'fieldcli status')" : "") + ".")
    }
    static func duplicateSubjectsAfterSync(_ count: Int) -> String {
        say(
            en: "\(count) young \(count == 1 ? "person has" : "people have") duplicate subjects: "
                + "see 'fieldcli subject list', then 'fieldcli subject merge KEEP OTHER'.",
            da: "\(count) \(count == 1 ? "ung er" : "unge er") oprettet to gange: "
                + "se 'fieldcli subject list', og derefter 'fieldcli subject merge BEHOLD ANDEN'.")
    }
    static var notEnrolled: String {
        say(
            en: "this device is not enrolled: run 'fieldcli enroll --server URL --code CODE'",
            da: "enheden er ikke tilmeldt: kør 'fieldcli enroll --server URL --code KODE'")
    }

    // MARK: enrolment

    static func enrolled(_ device: String, team: String) -> String {
        say(
            en: "Enrolled as device \(device) in team \(team). Run 'fieldcli sync' to sync.",
            da: "Tilmeldt som enhed \(device) i team \(team). Kør 'fieldcli sync' for at synkronisere.")
    }
    static func enrolledAgain(_ device: String, team: String, queued: Int) -> String {
        say(
            en: "Enrolled again as device \(device) in team \(team); the previous enrolment no longer works. "
                + "\(queued == 1 ? "1 unsynced change is" : "\(queued) unsynced changes are") kept and will be "
                + "sent by 'fieldcli sync'.",
            da: "Tilmeldt igen som enhed \(device) i team \(team); den tidligere tilmelding virker ikke længere. "
                + "\(queued == 1 ? "1 ændring" : "\(queued) ændringer"), der ikke er synkroniseret, bevares og "
                + "sendes af 'fieldcli sync'.")
    }
    static func alreadyEnrolledNeedsYes(_ device: String) -> String {
        say(
            en: "this store is already enrolled (device \(device)); replacing the enrolment needs --yes when there "
                + "is no terminal to ask on",
            da: "lageret er allerede tilmeldt (enhed \(device)); at erstatte tilmeldingen kræver --yes, når der ikke "
                + "er en terminal at spørge på")
    }
    static func enrolAgainQuestion(_ device: String, server: String, queued: Int) -> String {
        say(
            en: "This store is enrolled as device \(device) with \(server). Enrolling again keeps every note on "
                + "this device; \(queued == 1 ? "its 1 unsynced change is" : "its \(queued) unsynced changes are") "
                + "sent under the new enrolment.\n",
            da: "Lageret er tilmeldt som enhed \(device) hos \(server). En ny tilmelding bevarer alle noter på "
                + "enheden; \(queued == 1 ? "dens 1 ændring" : "dens \(queued) ændringer"), der ikke er "
                + "synkroniseret, sendes under den nye tilmelding.\n")
    }
    static var enrolAgainPrompt: String { say(en: "Enrol again? ", da: "Tilmeld igen? ") + yesNoHint + " " }
    static var notEnrolledAgain: String {
        say(
            en: "not enrolled again; the current enrolment stays",
            da: "ikke tilmeldt igen; den nuværende tilmelding består")
    }
    static var serverTooOldToReenrol: String {
        say(
            en: "enrolment refused: this server is too old to enrol a device again while keeping its unsynced "
                + "changes; ask your administrator to update it",
            da: "tilmeldingen blev afvist: serveren er for gammel til at tilmelde en enhed igen og bevare dens "
                + "ændringer; bed din administrator om at opdatere den")
    }
    static func enrolmentRefused(_ why: String) -> String {
        say(en: "enrolment refused: \(why)", da: "tilmeldingen blev afvist: \(why)")
    }
    static func enrolmentFailed(_ why: String) -> String {
        say(en: "enrolment failed: \(why)", da: "tilmeldingen mislykkedes: \(why)")
    }
}
